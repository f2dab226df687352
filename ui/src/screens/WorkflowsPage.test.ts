import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { save } from '@tauri-apps/plugin-dialog'
import { describe, expect, it, vi } from 'vitest'
import type { EvaluationView, ExecutionView, SessionInfo, WorkflowType, WorkflowView } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { readConfig } from '../lib/workflows'
import { found } from '../test/dom'
import { callsOf, commands, wireError } from '../test/tauri'
import WorkflowsPage from './WorkflowsPage.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

const CFO: SessionInfo = {
  user_id: 'u-cfo',
  email: 'cfo@demo.test',
  name: 'Peter Kamau',
  role: 'finance_manager',
  permissions: ['company_view', 'workflow_view', 'workflow_manage', 'workflow_run', 'rules_view', 'rules_manage'],
}

const AUDITOR: SessionInfo = {
  user_id: 'u-david',
  email: 'auditor@demo.test',
  name: 'David Kiprop',
  role: 'auditor',
  permissions: ['company_view', 'workflow_view', 'rules_view'],
}

const CONFIGS: Record<WorkflowType, Record<string, unknown>> = {
  invoice_sync: { retryOnFailure: true, maxRetries: 3, notifyOnFailure: true, syncETRReceipt: true, requireApprovalAbove: null },
  customer_sync: { validatePIN: 'strict', syncOnUpdate: true, batchSync: false },
  item_sync: { syncAll: true, taxableOnly: false, serviceLevels: [], taxCategories: [] },
  credit_note_sync: { requireOriginalInvoice: true },
  sales_sync: { serviceLevels: [], taxThreshold: null, transactionTypes: [], customerTypes: [] },
}

function workflow(type: WorkflowType, extra: Partial<WorkflowView> = {}): WorkflowView {
  return {
    workflow_type: type,
    description: `Send ${type}`,
    enabled: false,
    auto_sync: false,
    config: CONFIGS[type] as WorkflowView['config'],
    version: 0,
    updated_at: null,
    ...extra,
  }
}

const WORKFLOWS = (Object.keys(CONFIGS) as WorkflowType[]).map((t) => workflow(t))

function execution(id: string, status: string, extra: Partial<ExecutionView> = {}): ExecutionView {
  return {
    id,
    workflow_type: 'invoice_sync',
    entity_type: 'sales_invoice',
    entity_id: `doc-${id}`,
    entity_label: null,
    entity_version: 1,
    trigger: 'event',
    event_id: null,
    outbox_id: `ob-${id}`,
    status,
    started_at: null,
    completed_at: null,
    duration_ms: null,
    attempts: 1,
    error_kind: status === 'failed' ? 'permanent' : null,
    error_message: status === 'failed' ? 'rejected by e-TIMS' : null,
    result_ref: null,
    created_at: '2026-07-01T06:00:00Z',
    updated_at: '2026-07-01T06:00:00Z',
    attempt_log: [],
    ...extra,
  }
}

function attempt(number: number, started_by: string, outcome: string, extra: Partial<ExecutionView['attempt_log'][number]> = {}) {
  return {
    number,
    started_by,
    outcome,
    started_at: `2026-07-01T06:0${number}:00Z`,
    finished_at: `2026-07-01T06:0${number}:01Z`,
    duration_ms: 1000,
    error_kind: outcome === 'sent' ? null : 'retryable',
    error_message: outcome === 'sent' ? null : `try ${number}: e-TIMS unavailable`,
    result_ref: outcome === 'sent' ? 'rcpt-1' : null,
    ...extra,
  }
}

describe('WorkflowsPage', () => {
  it('lists the five workflows and enables one with its toggle', async () => {
    commands({
      workflows_list: () => WORKFLOWS,
      workflow_set_enabled: ({ workflow, enabled }) =>
        workflow === 'invoice_sync' ? { ...WORKFLOWS[0], enabled, version: 1 } : null,
    })
    app.session = CFO
    render(WorkflowsPage)
    const row = await found('#workflows-table tr[data-workflow="invoice_sync"]')
    expect(document.querySelectorAll('#workflows-table tbody tr')).toHaveLength(5)
    const toggle = row.querySelector<HTMLInputElement>('.workflow-toggle')!
    expect(toggle.checked).toBe(false)
    await fireEvent.click(toggle)
    await waitFor(() => expect(callsOf('workflow_set_enabled')).toEqual([{ workflow: 'invoice_sync', enabled: true }]))
    await waitFor(() => expect(row.textContent).toContain('On'))
    expect((await found('#workflows-notice')).textContent).toContain('Invoices enabled')
  })

  it('checks the config form inline, then shows the core error next to the key it names', async () => {
    commands({
      workflows_list: () => WORKFLOWS,
      workflow_set: () => {
        throw wireError('invalid_input', "invoice_sync config: key 'maxRetries' has the wrong value: too many.")
      },
    })
    app.session = CFO
    render(WorkflowsPage)
    const row = await found('tr[data-workflow="invoice_sync"]')
    await fireEvent.click(row.querySelector('.workflow-configure')!)
    const form = await found('#workflow-form')
    const amount = form.querySelector<HTMLInputElement>('[data-config-key="requireApprovalAbove"] input')!
    await fireEvent.input(amount, { target: { value: 'lots' } })
    await fireEvent.submit(form)
    const amountError = await found('[data-config-key="requireApprovalAbove"] .field-error')
    expect(amountError.textContent).toContain('amount')
    expect(callsOf('workflow_set')).toHaveLength(0)

    await fireEvent.input(amount, { target: { value: '50,000' } })
    await fireEvent.submit(form)
    const retriesError = await found('[data-config-key="maxRetries"] .field-error')
    expect(retriesError.textContent).toContain("'maxRetries'")
    expect(callsOf('workflow_set')).toEqual([
      {
        workflow: 'invoice_sync',
        settings: {
          enabled: false,
          autoSync: false,
          config: { retryOnFailure: true, maxRetries: 3, notifyOnFailure: true, syncETRReceipt: true, requireApprovalAbove: '50000' },
        },
      },
    ])
  })

  it('filters the execution log by status and retries a failed execution', async () => {
    commands({
      workflows_list: () => WORKFLOWS,
      workflow_executions: ({ filter }) => {
        const f = filter as { status: string | null }
        const all = [
          execution('e1', 'completed', { duration_ms: 120, entity_label: 'SI-000002', attempt_log: [attempt(1, 'event', 'sent', { duration_ms: 120 })] }),
          execution('e2', 'failed', { attempt_log: [attempt(1, 'event', 'will_retry'), attempt(2, 'automatic', 'failed')] }),
          execution('e3', 'skipped', { outbox_id: null, error_message: 'skipped: already sent by execution e1 (completed)' }),
        ]
        return f.status ? all.filter((e) => e.status === f.status) : all
      },
      workflow_retry: ({ id }) =>
        execution(id as string, 'pending', { attempts: 2, attempt_log: [attempt(1, 'event', 'will_retry'), attempt(2, 'automatic', 'failed')] }),
    })
    app.session = CFO
    render(WorkflowsPage)
    await fireEvent.click(await found('#tab-executions'))
    await found('#executions-table tr[data-execution-id="e1"]')
    expect(document.querySelector('tr[data-execution-id="e1"]')!.textContent).toContain('120 ms')
    // The document's number, not its id, when the core knows it; the id stays in the tooltip.
    const entity = document.querySelector('tr[data-execution-id="e1"] code')!
    expect(entity.textContent).toBe('SI-000002')
    expect(entity.getAttribute('title')).toBe('doc-e1')
    expect(document.querySelector('tr[data-execution-id="e1"] .execution-retry')).toBeNull()
    // One row per attempt, newest first; an execution that sent nothing is one row.
    const attempts = [...document.querySelectorAll<HTMLElement>('tr[data-execution-id="e2"]')]
    expect(attempts.map((r) => r.dataset.attempt)).toEqual(['2', '1'])
    expect(attempts.map((r) => r.querySelector('.status')!.textContent)).toEqual(['Failed', 'Failed, will retry'])
    expect(attempts[1].textContent).toContain('Automatically')
    expect(attempts[0].textContent).toContain('Automatic retry')
    expect(attempts[0].querySelector('.execution-retry')).not.toBeNull()
    expect(attempts[1].querySelector('.execution-retry')).toBeNull()
    const skipped = document.querySelector<HTMLElement>('tr[data-execution-id="e3"]')!
    expect(skipped.dataset.attempt).toBe('')
    expect(skipped.querySelector('.status')!.textContent).toBe('Skipped')

    await fireEvent.change(document.getElementById('execution-status-filter')!, { target: { value: 'failed' } })
    await waitFor(() => expect(document.querySelector('tr[data-execution-id="e1"]')).toBeNull())
    const failed = await found('tr[data-execution-id="e2"][data-attempt="2"]')
    expect(failed.textContent).toContain('try 2: e-TIMS unavailable')
    expect(failed.querySelector('.status')!.textContent).toBe('Failed')
    await fireEvent.click(failed.querySelector('.execution-retry')!)
    await waitFor(() => expect(callsOf('workflow_retry')).toEqual([{ id: 'e2' }]))
    expect((await found('#workflows-notice')).textContent).toContain('attempt 3')
    expect(callsOf('workflow_executions').at(-1)).toEqual({
      filter: { status: 'failed', workflow_type: null, entity_id: null, limit: 200 },
    })
  })

  it('exports the whole execution log the filters match, not only the 200 shown', async () => {
    vi.mocked(save).mockReset()
    vi.mocked(save).mockResolvedValueOnce('/home/peter/Execution log.csv')
    commands({
      workflows_list: () => WORKFLOWS,
      workflow_executions: () => [execution('e2', 'failed')],
      export_list: () => ({ path: '/home/peter/Execution log.csv', format: 'csv', rows: 1, bytes: 300 }),
    })
    app.session = AUDITOR
    render(WorkflowsPage)
    await fireEvent.click(await found('#tab-executions'))
    await fireEvent.change(document.getElementById('execution-status-filter')!, { target: { value: 'failed' } })
    await fireEvent.click(await found('#executions-export-csv'))
    await waitFor(() => expect(callsOf('export_list')).toHaveLength(1))
    expect(vi.mocked(save).mock.calls[0][0]).toMatchObject({ defaultPath: 'Execution log.csv' })
    expect(callsOf('export_list')[0]).toEqual({
      request: { list: 'executions', filter: { status: 'failed', workflow_type: null, entity_id: null, limit: null } },
      format: 'csv',
      path: '/home/peter/Execution log.csv',
    })
    expect((await found('#executions-export-result')).textContent).toBe('Exported 1 row to /home/peter/Execution log.csv.')
  })

  it('shows decision tables and the latest traces; read-only for an auditor', async () => {
    const evaluation: EvaluationView = {
      id: 'ev1',
      document_id: 'd1',
      document_number: 'SI-000001',
      trigger: 'submitted',
      outcome: 'blocked',
      actions: [
        {
          table: 'Foreign currency exchange rate',
          row: 1,
          row_name: 'Exchange rate missing',
          action: { action: 'block', reason: 'no exchange rate' },
          effect: '',
        },
      ],
      trace: [
        {
          table: 'Foreign currency exchange rate',
          version: 1,
          rows: [
            {
              row: 1,
              name: 'Exchange rate missing',
              evaluated: true,
              matched: true,
              conditions: [{ condition: 'facts.exchange_rate is_missing', actual: null, holds: true, sentence: 'Fact \'exchange_rate\' is missing' }],
              actions: ['block: no exchange rate'],
            },
          ],
        },
      ],
      evaluated_at: '2026-07-01T06:00:00Z',
    }
    commands({
      workflows_list: () => WORKFLOWS,
      rules_list: () => [
        {
          id: 't1',
          name: 'Foreign currency exchange rate',
          document_type: 'sales_invoice',
          version: 1,
          imported_at: '2026-07-01T06:00:00Z',
          spec: { name: 'x', document_type: 'sales_invoice', description: null, hit_policy: 'first', rows: [{ name: 'Exchange rate missing', when: [], then: [] }] },
        },
      ],
      rules_evaluations: () => [evaluation],
    })
    app.session = AUDITOR
    render(WorkflowsPage)
    const row = await found('tr[data-workflow="invoice_sync"]')
    expect(row.querySelector<HTMLInputElement>('.workflow-toggle')!.disabled).toBe(true)
    expect(row.querySelector('.workflow-configure')).toBeNull()
    await fireEvent.click(await found('#tab-rules'))
    await found('#rules-table tr[data-rule-table="Foreign currency exchange rate"]')
    const ev = await found('[data-evaluation-id="ev1"]')
    expect(ev.getAttribute('data-outcome')).toBe('blocked')
    expect(ev.textContent).toContain("Fact 'exchange_rate' is missing")
    expect(callsOf('rules_evaluations')).toEqual([{ document: null, limit: 20 }])
  })
})

describe('readConfig', () => {
  it('turns form text into typed config values, or names the field at fault', () => {
    expect(readConfig('item_sync', { taxableOnly: true, serviceLevels: '3, 2', taxCategories: '' })).toEqual({
      config: { taxableOnly: true, serviceLevels: ['3', '2'], taxCategories: [] },
      errors: {},
    })
    const bad = readConfig('sales_sync', { serviceLevels: '', taxThreshold: '1,000', transactionTypes: 'N, X', customerTypes: 'B2B' })
    expect(bad.errors).toEqual({ transactionTypes: 'X: use N, C, P, T.' })
    expect(bad.config.taxThreshold).toBe('1000')
  })
})
