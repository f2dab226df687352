import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { ActionResult, DocumentView, InboxItem, SessionInfo } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { callsOf, commands } from '../test/tauri'
import ApprovalsPage from './ApprovalsPage.svelte'

const APPROVER: SessionInfo = {
  user_id: 'u-john',
  email: 'ops.manager@demo.test',
  name: 'John Mwangi',
  role: 'approver',
  permissions: ['company_view', 'department_view', 'document_create', 'approval_act', 'budget_view'],
}

function item(n: number, extra: Partial<InboxItem> = {}): InboxItem {
  return {
    request_id: `req-${n}`,
    step_id: `step-${n}`,
    document_id: `doc-${n}`,
    document_number: `PO-00000${n}`,
    doc_type: 'purchase_order',
    title: `Request ${n}`,
    requester_name: 'Kevin Otieno',
    amount: `${n}2500.00`,
    currency: 'KES',
    level: 1,
    level_name: 'Reporting manager',
    due_at: '2026-03-02T14:00:00Z',
    overdue: false,
    marker: null,
    on_behalf_of: null,
    why: 'You are the reporting manager of Kevin Otieno.',
    version: n,
    ...extra,
  }
}

function doc(id: string, extra: Partial<DocumentView> = {}): DocumentView {
  return {
    id,
    doc_type: 'purchase_order',
    number: 'PO-000009',
    title: 'Printer toner',
    requester_email: 'storekeeper@demo.test',
    requester_name: 'Kevin Otieno',
    department: 'Operations',
    amount: '12500.00',
    currency: 'KES',
    category: null,
    project: null,
    facts: {},
    status: 'pending_approval',
    lines: [],
    current_request: null,
    budget_status: 'within_budget',
    budget_note: null,
    created_at: '2026-03-01T08:00:00Z',
    updated_at: '2026-03-01T08:00:00Z',
    ...extra,
  }
}

const result = (request: string, decision: ActionResult['decision']): ActionResult => ({
  request_id: request,
  step_id: 's',
  document_id: 'd',
  decision,
  document_status: decision === 'approve' ? 'approved' : 'rejected',
  request_status: decision === 'approve' ? 'approved' : 'rejected',
  pending_level: null,
})

function signIn(session = APPROVER) {
  app.session = session
  app.screen = 'shell'
}

const key = (k: string) => fireEvent.keyDown(document.getElementById('inbox')!, { key: k })

describe('ApprovalsPage', () => {
  it('moves with j/k, approves with a and rejects with r plus a reason', async () => {
    let inbox = [item(1), item(2, { overdue: true }), item(3)]
    commands({
      approvals_inbox: () => inbox,
      documents_mine: () => [],
      departments_list: () => [],
      document_show: ({ id }) => doc(id as string),
      document_history: () => [],
      approval_act: ({ request, action }) => {
        inbox = inbox.filter((i) => i.request_id !== request)
        return result(request as string, (action as { decision: ActionResult['decision'] }).decision)
      },
    })
    signIn()
    render(ApprovalsPage)
    await waitFor(() => expect(document.querySelectorAll('.inbox-row')).toHaveLength(3))
    const row2 = document.querySelector('.inbox-row[data-request-id="req-2"]')!
    expect(row2.textContent).toContain('Overdue')
    expect(row2.textContent).toContain('KES 22,500.00')
    expect((await found('#why-with-me')).textContent).toContain('reporting manager of Kevin Otieno')

    await key('j')
    expect(row2.getAttribute('aria-selected')).toBe('true')
    await key('a')
    await waitFor(() => expect(callsOf('approval_act')).toHaveLength(1))
    expect(callsOf('approval_act')[0]).toEqual({
      request: 'req-2',
      action: { decision: 'approve', comment: null, delegate_to: null, expected_version: 2 },
    })
    await waitFor(() => expect(document.getElementById('approvals-notice')!.textContent).toContain('PO-000002 approved'))
    await waitFor(() => expect(document.querySelectorAll('.inbox-row')).toHaveLength(2))

    // The cursor stays on the second row (now req-3); k moves up to req-1, r asks for a reason.
    await key('k')
    await key('r')
    const reason = await found<HTMLInputElement>('#decision-comment')
    await fireEvent.input(reason, { target: { value: 'Over the quoted price' } })
    await fireEvent.click(document.getElementById('decision-confirm')!)
    await waitFor(() => expect(callsOf('approval_act')).toHaveLength(2))
    expect(callsOf('approval_act')[1]).toEqual({
      request: 'req-1',
      action: { decision: 'reject', comment: 'Over the quoted price', delegate_to: null, expected_version: 1 },
    })
  })

  it('g then a is the go-to shortcut, not approve; x selects for bulk approve', async () => {
    commands({
      approvals_inbox: () => [item(1), item(2)],
      documents_mine: () => [],
      departments_list: () => [],
      document_show: ({ id }) => doc(id as string),
      document_history: () => [],
      approvals_bulk_approve: ({ requests }) => ({
        succeeded: (requests as string[]).map((r) => result(r, 'approve')),
        failed: [],
      }),
    })
    signIn()
    render(ApprovalsPage)
    await waitFor(() => expect(document.querySelectorAll('.inbox-row')).toHaveLength(2))
    await key('g')
    await key('a')
    expect(callsOf('approval_act')).toHaveLength(0)

    await key('x')
    await key('j')
    await key('x')
    const bulk = document.getElementById('bulk-approve') as HTMLButtonElement
    expect(bulk.textContent).toContain('(2)')
    await fireEvent.click(bulk)
    await waitFor(() => expect(callsOf('approvals_bulk_approve')).toEqual([{ requests: ['req-1', 'req-2'] }]))
  })

  it('creates and submits a new request from My requests in one step', async () => {
    commands({
      approvals_inbox: () => [],
      documents_mine: () => [],
      departments_list: () => [{ id: 'd1', name: 'Operations', active: true, created_at: '2026-01-01T00:00:00Z' }],
      document_create_and_submit: ({ document }) =>
        doc('doc-new', { title: (document as { title: string }).title }),
      document_show: ({ id }) => doc(id as string),
      document_history: () => [],
    })
    signIn()
    render(ApprovalsPage)
    await fireEvent.click(document.getElementById('new-request')!)
    const title = await waitFor(() => document.getElementById('request-title')!)
    await fireEvent.input(title, { target: { value: 'Printer toner' } })
    await fireEvent.input(document.getElementById('request-amount')!, { target: { value: '12,500.00' } })
    await fireEvent.change(document.getElementById('request-department')!, { target: { value: 'Operations' } })
    await fireEvent.input(document.getElementById('request-category')!, { target: { value: 'Supplies' } })
    await fireEvent.click(document.getElementById('request-submit')!)
    await waitFor(() =>
      expect(callsOf('document_create_and_submit')).toEqual([
        {
          document: {
            doc_type: 'purchase_order',
            title: 'Printer toner',
            amount: '12500.00',
            currency: null,
            department: 'Operations',
            category: 'Supplies',
            project: null,
            facts: null,
            lines: [],
          },
        },
      ]),
    )
    // One step: no separate draft to create and submit.
    expect(callsOf('document_create')).toHaveLength(0)
    expect(callsOf('document_submit')).toHaveLength(0)
    const row = await found('#my-requests tr[data-document-id="doc-new"]')
    expect(row.textContent).toContain('Pending approval')
    expect(row.textContent).toContain('KES 12,500.00')
  })

  it('refuses an amount that is not a decimal without calling the app', async () => {
    commands({ approvals_inbox: () => [], documents_mine: () => [], departments_list: () => [] })
    signIn()
    render(ApprovalsPage)
    await fireEvent.click(document.getElementById('new-request')!)
    await fireEvent.input(document.getElementById('request-title')!, { target: { value: 'Toner' } })
    await fireEvent.input(document.getElementById('request-amount')!, { target: { value: '12.5.0' } })
    await fireEvent.click(document.getElementById('request-submit')!)
    await waitFor(() => expect(document.querySelector('[role="alert"]')!.textContent).toContain('amount'))
    expect(callsOf('document_create')).toHaveLength(0)
  })
})

describe('ApprovalsPage when the submit fails', () => {
  it('leaves no draft behind, says why in words and replaces the earlier success banner', async () => {
    const refusal =
      'Not enough budget: Operations FY2026 has KES 12,000.00 available, this request needs KES 50,000.00. Ask finance to move budget, or lower the amount. Nothing was submitted or reserved.'
    let answer: (document: { amount: string }) => DocumentView = () => doc('doc-1', { number: 'PO-000001' })
    commands({
      approvals_inbox: () => [],
      documents_mine: () => [],
      departments_list: () => [],
      document_create_and_submit: ({ document }) => answer(document as { amount: string }),
      document_show: ({ id }) => doc(id as string, { number: 'PO-000001' }),
      document_history: () => [],
    })
    signIn()
    render(ApprovalsPage)
    const request = async (amount: string) => {
      await fireEvent.input(await found('#request-title'), { target: { value: 'Generator service' } })
      await fireEvent.input(document.getElementById('request-amount')!, { target: { value: amount } })
      await fireEvent.click(document.getElementById('request-submit')!)
    }
    // A first request goes through: the page says so.
    await fireEvent.click(document.getElementById('new-request')!)
    await request('5,000')
    expect((await found('#approvals-notice')).textContent).toContain('PO-000001 submitted')

    // The next one is refused: the earlier banner goes, the form says why, in words.
    answer = () => {
      throw { kind: 'conflict', message: refusal }
    }
    await fireEvent.click(document.getElementById('new-request')!)
    expect(document.getElementById('approvals-notice')).toBeNull()
    await request('50,000')
    const alert = await found('#new-request-form [role="alert"]')
    expect(alert.textContent).toContain('Not enough budget: Operations FY2026 has KES 12,000.00 available')
    expect(alert.textContent).not.toMatch(/HARD_BLOCK|SOFT_WARNING|ESCALATE/)
    expect(alert.textContent).not.toContain('saved as a draft')
    expect(document.getElementById('approvals-notice')).toBeNull()
    // Nothing was saved: My requests lists only the first request, and no draft.
    const rows = () => [...document.querySelectorAll('#my-requests tr[data-document-id]')]
    expect(rows().map((r) => r.getAttribute('data-document-id'))).toEqual(['doc-1'])

    // Trying again with a lower amount sends the whole request again (no draft to reuse).
    answer = () => doc('doc-2', { number: 'PO-000002', amount: '12000' })
    await request('12,000')
    expect((await found('#approvals-notice')).textContent).toContain('PO-000002 submitted')
    expect(callsOf('document_create_and_submit').map((c) => (c.document as { amount: string }).amount)).toEqual([
      '5000',
      '50000',
      '12000',
    ])
    expect(rows().map((r) => r.getAttribute('data-document-id'))).toEqual(['doc-2', 'doc-1'])
  })
})
