import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { save } from '@tauri-apps/plugin-dialog'
import { describe, expect, it, vi } from 'vitest'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { REJECTED, SIGNED, badge } from '../test/etims'
import { qboView } from '../test/qbo'
import { ACCOUNTANT, AUDITOR, CODE_LISTS, MANAGER, TOTALS, sale, summary } from '../test/sales'
import { callsOf, commands, wireError } from '../test/tauri'
import SalesPage from './SalesPage.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

const ROWS = [
  summary(),
  summary({ id: 's-2', number: null, status: 'draft', customer_name: 'Walk-in customer', customer_pin: null, total: '2320.00', total_kes: '2320.00' }),
  summary({ id: 's-3', number: 'CS-000004', doc_type: 'cash_sale', status: 'fiscalised', total: '1160.00', total_kes: '1160.00' }),
  summary({ id: 's-4', number: 'CN-000002', doc_type: 'credit_note', status: 'void', total: '580.00', total_kes: '580.00' }),
  summary({ id: 's-5', number: null, status: 'pending_approval', total: '98000.00', total_kes: '98000.00' }),
  summary({ id: 's-6', number: 'INV-000013', currency: 'USD', total: '1000.00', total_kes: '129500.00' }),
]

const READS = {
  sales_list: () => ROWS,
  sales_code_lists: () => CODE_LISTS,
}

describe('SalesPage', () => {
  it('shows a QuickBooks badge with the write-back state on the sales pulled from QuickBooks', async () => {
    commands({
      ...READS,
      etims_statuses: () => [],
      qbo_sale_statuses: () => [
        qboView({ document_id: 's-1' }),
        qboView({ document_id: 's-3', entity: 'SalesReceipt', doc_number: '8001', stage: 'failed', words: 'Failed: QuickBooks must be connected again.' }),
      ],
    })
    app.session = ACCOUNTANT
    render(SalesPage)
    const done = await found('tr[data-sale-id="s-1"] .qbo-badge')
    // Drafts and sales waiting for approval are not asked about.
    expect(callsOf('qbo_sale_statuses')[0]).toEqual({ keys: ['s-1', 's-3', 's-4', 's-6'] })
    expect(done.getAttribute('data-qbo-stage')).toBe('done')
    expect(done.textContent).toContain('Invoice 1037')
    expect(done.textContent).toContain('Attached and updated')
    expect(done.querySelector('.status')!.className).toContain(' on')
    expect(done.getAttribute('title')).toContain('CU invoice number')
    const failed = document.querySelector('tr[data-sale-id="s-3"] .qbo-badge')!
    expect(failed.textContent).toContain('Sales receipt 8001')
    expect(failed.textContent).toContain('Write-back failed')
    expect(failed.querySelector('.status')!.className).toContain('bad')
    // A sale that did not come from QuickBooks has an empty cell.
    expect(document.querySelector('tr[data-sale-id="s-6"] .qbo-badge')).toBeNull()
    expect(document.querySelectorAll('#sales-table thead th')[5].textContent).toBe('QuickBooks')
  })

  it('shows the KRA e-TIMS badge of issued and signed sales in the list', async () => {
    commands({
      ...READS,
      etims_statuses: ({ keys }: Record<string, unknown>) =>
        (keys as string[]).map((id) =>
          id === 's-3' ? { ...SIGNED, document_id: id } : id === 's-6' ? { ...REJECTED, document_id: id } : badge({ document_id: id }),
        ),
    })
    app.session = ACCOUNTANT
    render(SalesPage)
    await waitFor(() => expect(document.querySelector('tr[data-sale-id="s-1"] .fiscal-badge')).not.toBeNull())
    expect(callsOf('etims_statuses')[0]).toEqual({ keys: ['s-1', 's-3', 's-6'] })
    expect(document.querySelector('tr[data-sale-id="s-1"] .fiscal-badge')!.textContent).toBe('Awaiting KRA signature (5 h)')
    expect(document.querySelector('tr[data-sale-id="s-3"] .fiscal-cu')!.textContent).toBe('KRACU0100000001/152')
    expect(document.querySelector('tr[data-sale-id="s-6"] .fiscal-kra-message')!.textContent).toContain('custTin is invalid')
    // Drafts and void sales keep the sale's own status.
    expect(document.querySelector('tr[data-sale-id="s-2"] .sale-status')!.textContent).toBe('Draft')
    expect(document.querySelector('tr[data-sale-id="s-4"] .sale-status')!.textContent).toBe('Void')
  })

  it('lists sales with KES totals and status badges, and searches', async () => {
    commands(READS)
    app.session = ACCOUNTANT
    render(SalesPage)
    const issued = await found('#sales-table tr[data-sale-id="s-1"]')
    expect(issued.textContent).toContain('INV-000012')
    expect(issued.querySelector('.sale-total')!.textContent!.trim()).toBe('125,000.00')
    expect(issued.querySelector('.sale-total')!.className).toContain('num')
    expect(issued.querySelector('.sale-status')!.textContent).toBe('Issued, waiting for KRA')

    const badges = [...document.querySelectorAll('#sales-table .sale-status')].map((b) => [b.textContent, b.className])
    expect(badges.map(([text]) => text)).toEqual(['Issued, waiting for KRA', 'Draft', 'Signed by KRA', 'Void', 'Pending approval', 'Issued, waiting for KRA'])
    expect(badges[3][1]).toContain('bad')
    expect(badges[4][1]).toContain('warn')
    expect(badges[2][1]).toContain(' on')
    // A draft has no number yet; a credit note reads negative; a foreign sale shows both totals.
    expect(document.querySelector('tr[data-sale-id="s-2"] button')!.textContent!.trim()).toBe('Draft')
    expect(document.querySelector('tr[data-sale-id="s-4"] .sale-total')!.textContent!.trim()).toBe('−580.00')
    expect(document.querySelector('tr[data-sale-id="s-6"] .sale-total')!.textContent).toContain('129,500.00')
    expect(document.querySelector('tr[data-sale-id="s-6"] .sale-foreign')!.textContent).toBe('USD 1,000.00')

    await fireEvent.input(document.getElementById('sales-search')!, { target: { value: '125,000' } })
    await fireEvent.change(document.getElementById('sales-status')!, { target: { value: 'issued' } })
    await waitFor(() => expect(callsOf('sales_list').some((c) => (c.query as { search: string | null }).search === '125,000')).toBe(true))
    const last = callsOf('sales_list').at(-1)!.query as Record<string, unknown>
    expect(last.status).toBe('issued')
    expect(last.limit).toBe(100)
  })

  it('opens a sale with its lines, band table and totals', async () => {
    commands({ ...READS, sale_show: () => sale() })
    app.session = ACCOUNTANT
    render(SalesPage)
    await fireEvent.click(await found('#sales-table tr[data-sale-id="s-1"]'))
    const detail = await found('#sale-detail[data-status="issued"]')
    expect(document.getElementById('sale-number')!.textContent).toBe('INV-000012')
    expect(document.getElementById('sale-title')!.textContent!.replace(/\s+/g, ' ').trim()).toBe('Invoice INV-000012')
    expect(detail.querySelector('#sale-customer-pin')!.textContent).toBe('P051234567X')
    expect(detail.querySelector('#sale-status')!.textContent).toBe('Issued, waiting for KRA')
    expect(detail.querySelector('#sale-lines-view tbody tr')!.textContent).toContain('Consulting (per day)')
    const b = detail.querySelector('#sale-detail-totals tr[data-band="B"]')!
    expect(b.querySelector('[data-taxable]')!.textContent).toBe('4,310.34')
    expect(b.querySelector('[data-vat]')!.textContent).toBe('689.66')
    expect(detail.querySelectorAll('#sale-detail-totals tr[data-band]')).toHaveLength(5)
    expect(detail.querySelector('[data-total="total"]')!.textContent).toBe('5,000.00')
    // An accountant may credit an issued invoice, not void it (managers void) nor issue it again.
    expect(document.getElementById('sale-credit')).not.toBeNull()
    expect(document.getElementById('sale-void')).toBeNull()
    expect(document.getElementById('sale-issue')).toBeNull()
    expect(document.getElementById('sale-edit')).toBeNull()
  })

  it('issues a draft from its detail and says when it went for approval instead', async () => {
    const draft = sale({ id: 's-2', status: 'draft', number: null, issued_at: null })
    commands({
      ...READS,
      sale_show: () => draft,
      sale_issue: () => ({
        ...draft,
        status: 'pending_approval',
        warnings: ['Sent for approval because its total is above KES 50000: it is issued (and numbered) when approved.'],
      }),
    })
    app.session = ACCOUNTANT
    render(SalesPage)
    await fireEvent.click(await found('tr[data-sale-id="s-2"] button'))
    await fireEvent.click(await found('#sale-issue'))
    const notice = await found('#sale-action-notice')
    expect(notice.textContent).toContain('Sent for approval')
    expect(document.getElementById('sale-status')!.textContent).toBe('Pending approval')
    expect(callsOf('sale_issue')).toEqual([{ key: 's-2' }])
  })

  it('voids an issued sale only with a reason', async () => {
    commands({
      ...READS,
      sale_show: () => sale(),
      sale_void: ({ reason }) => sale({ status: 'void', voided_at: '2026-12-02T10:00:00Z', void_reason: reason as string }),
    })
    app.session = MANAGER
    render(SalesPage)
    await fireEvent.click(await found('tr[data-sale-id="s-1"]'))
    await fireEvent.click(await found('#sale-void'))
    await fireEvent.submit(document.getElementById('sale-void-reason')!.closest('form')!)
    expect((await found('#sale-action-error')).textContent).toContain('Say why')
    expect(callsOf('sale_void')).toEqual([])
    await fireEvent.input(document.getElementById('sale-void-reason')!, { target: { value: 'Raised twice' } })
    await fireEvent.click(document.getElementById('sale-void-confirm')!)
    await waitFor(() => expect(document.getElementById('sale-status')!.textContent).toBe('Void'))
    expect(callsOf('sale_void')).toEqual([{ key: 's-1', reason: 'Raised twice' }])
    expect(document.getElementById('sale-void-info')!.textContent).toContain('Raised twice')
  })

  it('shows the core refusing a void', async () => {
    commands({
      ...READS,
      sale_show: () => sale(),
      sale_void: () => {
        throw wireError('conflict', 'INV-000012 has credit notes against it; void those first.')
      },
    })
    app.session = MANAGER
    render(SalesPage)
    await fireEvent.click(await found('tr[data-sale-id="s-1"]'))
    await fireEvent.click(await found('#sale-void'))
    await fireEvent.input(document.getElementById('sale-void-reason')!, { target: { value: 'Wrong' } })
    await fireEvent.click(document.getElementById('sale-void-confirm')!)
    expect((await found('#sale-action-error')).textContent).toContain('void those first')
  })

  it('gives a read-only role the list and the detail but no buttons that change anything', async () => {
    commands({ ...READS, sale_show: () => sale({ id: 's-2', status: 'draft', number: null }) })
    app.session = AUDITOR
    render(SalesPage)
    await fireEvent.click(await found('tr[data-sale-id="s-2"]'))
    await found('#sale-detail[data-status="draft"]')
    expect(document.getElementById('sale-issue')).toBeNull()
    expect(document.getElementById('sale-edit')).toBeNull()
    expect(document.getElementById('sale-void')).toBeNull()
    expect(document.getElementById('sale-credit')).toBeNull()
    expect(document.getElementById('sale-actions')).toBeNull()
    await fireEvent.click(document.getElementById('sales-back')!)
    await found('#sales-table tr[data-sale-id="s-1"]')
    expect(document.getElementById('new-invoice')).toBeNull()
    expect(document.getElementById('new-cash-sale')).toBeNull()
  })

  it('credits an invoice: the editor starts from what is left on its lines, and the reason codes', async () => {
    commands({
      ...READS,
      sale_show: () => sale(),
      // The core's template: the original with what is still creditable (an earlier credit
      // note took part of line 1).
      sale_credit_template: () => {
        const template = sale()
        template.lines[0].quantity = '0.5'
        return template
      },
      items_list: () => [],
      sale_preview: () => TOTALS,
    })
    app.session = ACCOUNTANT
    render(SalesPage)
    await fireEvent.click(await found('tr[data-sale-id="s-1"]'))
    await fireEvent.click(await found('#sale-credit'))
    const editor = await found('#sale-editor[data-doc-type="credit_note"]')
    expect(editor.querySelector('h1')!.textContent).toBe('Credit note for INV-000012')
    expect(editor.querySelector('#sale-customer-static')!.textContent).toContain('Acme Hardware Ltd')
    const reasons = [...editor.querySelectorAll<HTMLOptionElement>('#sale-reason option')].map((o) => o.value)
    expect(reasons).toEqual(['', '01', '06'])
    const qty = editor.querySelector<HTMLInputElement>('tr[data-line="1"] [data-cell="qty"]')!
    expect(qty.value).toBe('0.5')
  })

  it('exports the sales the filters match to Excel', async () => {
    vi.mocked(save).mockReset()
    vi.mocked(save).mockResolvedValueOnce('/home/grace/Sales.xlsx')
    commands({ ...READS, export_list: () => ({ path: '/home/grace/Sales.xlsx', format: 'xlsx', rows: 6, bytes: 7000 }) })
    app.session = ACCOUNTANT
    render(SalesPage)
    await found('#sales-table tr[data-sale-id="s-1"]')
    await fireEvent.change(document.getElementById('sales-type')!, { target: { value: 'invoice' } })
    await fireEvent.click(document.getElementById('sales-export-xlsx')!)
    await waitFor(() => expect(callsOf('export_list')).toHaveLength(1))
    const call = callsOf('export_list')[0] as { request: { list: string; query: Record<string, unknown> }; format: string; path: string }
    expect(call.request.list).toBe('sales')
    expect(call.request.query).toMatchObject({ doc_type: 'invoice', status: null, offset: 0 })
    expect(call).toMatchObject({ format: 'xlsx', path: '/home/grace/Sales.xlsx' })
    expect((await found('#sales-export-result')).textContent).toBe('Exported 6 rows to /home/grace/Sales.xlsx.')
  })
})
