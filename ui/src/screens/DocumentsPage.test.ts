import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { save } from '@tauri-apps/plugin-dialog'
import { describe, expect, it, vi } from 'vitest'
import type { RegisterRow } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { AUDITOR, EMPLOYEE, callsOf, commands } from '../test/tauri'
import DocumentsPage from './DocumentsPage.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

function row(id: string, extra: Partial<RegisterRow> = {}): RegisterRow {
  return {
    id,
    source: 'approval',
    kind: 'purchase_order',
    kind_label: 'Purchase order',
    number: 'PO-000012',
    title: 'Forklift tyres',
    raised_by: 'Brian Otieno',
    department: 'Operations',
    amount: '48000.00',
    currency: 'KES',
    stage: 'in_progress',
    status_label: 'Pending approval',
    created_at: '2026-12-02T06:30:00Z',
    ...extra,
  }
}

const found = async (selector: string) => {
  await waitFor(() => expect(document.querySelector(selector)).not.toBeNull())
  return document.querySelector(selector) as HTMLElement
}

describe('DocumentsPage', () => {
  it('lists every document with names, words and the company date format, and filters', async () => {
    commands({
      departments_list: () => [{ id: 'd1', name: 'Operations' }],
      documents_register: () => ({
        rows: [
          row('po'),
          row('inv', {
            source: 'sales',
            kind: 'invoice',
            kind_label: 'Sales invoice',
            number: 'INV-000003',
            title: 'Kilimani Dental Clinic',
            department: null,
            stage: 'done',
            status_label: 'Issued, waiting for KRA',
          }),
        ],
        more: false,
      }),
    })
    app.session = AUDITOR
    render(DocumentsPage)
    const po = await found('tr[data-document-id="po"]')
    expect([...po.querySelectorAll('td')].map((c) => c.textContent?.trim())).toEqual([
      'PO-000012',
      'Purchase order',
      '2 Dec 2026',
      'Forklift tyres',
      'Operations',
      'Brian Otieno',
      'Pending approval',
      'KES 48,000.00',
    ])
    expect(document.querySelector('tr[data-document-id="inv"]')!.textContent).toContain('Issued, waiting for KRA')
    await waitFor(() => expect(document.querySelector('#documents-department option[value="Operations"]')).not.toBeNull())
    await fireEvent.change(document.getElementById('documents-stage')!, { target: { value: 'done' } })
    await fireEvent.change(document.getElementById('documents-department')!, { target: { value: 'Operations' } })
    await waitFor(() => expect(callsOf('documents_register').length).toBe(3))
    expect(callsOf('documents_register')[2]).toEqual({
      query: { kind: null, stage: 'done', department: 'Operations', search: null, from: null, to: null, limit: 100, offset: 0 },
    })
  })

  it('tells a role without the register where its documents are, without calling the core', () => {
    commands({})
    app.session = EMPLOYEE
    render(DocumentsPage)
    expect(document.getElementById('documents-not-allowed')!.textContent).toContain('Approvals page')
    expect(callsOf('documents_register')).toHaveLength(0)
  })

  it('says the register could not be read rather than that there are no documents', async () => {
    commands({
      departments_list: () => [],
      documents_register: () => {
        throw { kind: 'storage', message: 'The company file could not be read or written (disk I/O error).' }
      },
    })
    app.session = AUDITOR
    render(DocumentsPage)
    await waitFor(() => expect(document.getElementById('documents-empty')!.textContent).toBe('The register could not be read.'))
    expect(document.body.textContent).toContain('disk I/O error')
  })

  it('exports every document the filters match, not only the page shown', async () => {
    vi.mocked(save).mockReset()
    vi.mocked(save).mockResolvedValueOnce('/home/peter/Documents.csv')
    commands({
      departments_list: () => [],
      documents_register: () => ({ rows: [row('po')], more: true }),
      export_list: () => ({ path: '/home/peter/Documents.csv', format: 'csv', rows: 312, bytes: 40_000 }),
    })
    app.session = AUDITOR
    render(DocumentsPage)
    await found('tr[data-document-id="po"]')
    await fireEvent.change(document.getElementById('documents-stage')!, { target: { value: 'done' } })
    await fireEvent.click(document.getElementById('documents-export-csv')!)
    await waitFor(() => expect(callsOf('export_list')).toHaveLength(1))
    expect(vi.mocked(save).mock.calls[0][0]).toMatchObject({ defaultPath: 'Documents.csv' })
    const call = callsOf('export_list')[0] as { request: { list: string; query: Record<string, unknown> }; format: string }
    expect(call.request.list).toBe('documents')
    expect(call.request.query).toMatchObject({ stage: 'done', offset: 0 })
    expect(call.format).toBe('csv')
    expect((await found('#documents-export-result')).textContent).toBe('Exported 312 rows to /home/peter/Documents.csv.')
  })
})
