import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { ItemView, PurchaseLineRow, PurchaseRow, PurchasesView } from '../../lib/bindings'
import { app } from '../../lib/session.svelte'
import { found } from '../../test/dom'
import { AUDITOR, FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import PurchasesPanel from './PurchasesPanel.svelte'

const FETCHED_AT = '2026-12-03T06:00:00Z'

function item(extra: Partial<ItemView>): ItemView {
  return {
    id: 'it-x',
    code: 'X',
    name: 'X',
    classification_code: '44121600',
    packaging_unit: 'NT',
    quantity_unit: 'BA',
    tax_type: 'B',
    product_type: 'finished_good',
    origin_country: 'KE',
    unit_price: '130',
    barcode: null,
    service_level: null,
    active: true,
    kra_item_code: 'KE2NTBA0000001',
    qbo_id: null,
    etims_state: 'registered',
    created_at: FETCHED_AT,
    updated_at: FETCHED_AT,
    ...extra,
  }
}

const PAPER = item({ id: 'it-paper', code: 'PAPER-A4', name: 'A4 paper, 80 gsm' })
const TONER = item({ id: 'it-toner', code: 'TONER', name: 'Toner cartridge' })
const ITEMS = [PAPER, TONER]

function line(extra: Partial<PurchaseLineRow> = {}): PurchaseLineRow {
  return {
    line: 1,
    supplier_item_code: 'KE2NTBA0000012',
    supplier_item_name: 'A4 paper, 80 gsm',
    quantity: '10',
    quantity_unit: 'BA',
    unit_price: '116',
    tax_type: 'B',
    total: '1160',
    item_id: PAPER.id,
    item_code: PAPER.code,
    item_name: PAPER.name,
    mapped_by: 'proposed',
    ...extra,
  }
}

function purchase(extra: Partial<PurchaseRow> = {}): PurchaseRow {
  return {
    id: 'p-1',
    supplier_name: 'Mombasa Wholesale Supplies Ltd',
    supplier_pin: 'P052223334R',
    supplier_branch: '00',
    supplier_invoice: 1041,
    sales_date: '20261201',
    total: '1740',
    total_tax: '240',
    state: 'awaiting_review',
    answer: null,
    reason: null,
    number: null,
    kra_code: null,
    kra_message: null,
    sync_state: null,
    sync_error: null,
    fetched_at: FETCHED_AT,
    answered_at: null,
    lines: [],
    ...extra,
  }
}

const TONER_LINE = line({
  line: 2,
  supplier_item_code: 'TN-05',
  supplier_item_name: 'Toner black',
  quantity: '1',
  unit_price: '580',
  total: '580',
  item_id: null,
  item_code: null,
  item_name: null,
  mapped_by: null,
})
const WAITING = purchase()
const DONE = purchase({ id: 'p-0', supplier_invoice: 1000, state: 'confirmed', answer: 'accepted', number: 1, sync_state: 'done' })
const REFUSED = purchase({ id: 'p-2', supplier_invoice: 1050, state: 'rejected_by_kra', answer: 'accepted', kra_code: '910', kra_message: 'Invalid spplrNm' })

function purchasesView(purchases: PurchaseRow[], extra: Partial<PurchasesView> = {}): PurchasesView {
  return { purchases, refreshed_at: FETCHED_AT, last_error: null, ...extra }
}

describe('PurchasesPanel', () => {
  it('lists the sales waiting for review, the answered on request; an auditor only reads', async () => {
    commands({ etims_purchases: () => purchasesView([WAITING, DONE, REFUSED]) })
    app.session = AUDITOR
    render(PurchasesPanel)
    const row = await found('#purchases-table tr[data-purchase="p-1"]')
    expect(row.textContent).toContain('Mombasa Wholesale Supplies Ltd')
    expect(row.textContent).toContain('Waiting for your review')
    // KRA's refusal is shown verbatim, and the purchase is waiting again.
    expect((await found('tr[data-purchase="p-2"]')).textContent).toContain('KRA refused the answer (910): Invalid spplrNm')
    expect(document.querySelector('tr[data-purchase="p-0"]')).toBeNull()
    expect(document.querySelector('[data-review]')).toBeNull()
    expect(document.getElementById('purchases-refresh')).toBeNull()
    await fireEvent.click(document.getElementById('purchases-all')!)
    expect((await found('tr[data-purchase="p-0"]')).textContent).toContain('Accepted as purchase 1 · KRA has it')
  })

  it('maps the lines, refuses an unmapped one, and accepts', async () => {
    const shown = purchase({ lines: [line(), TONER_LINE] })
    commands({
      etims_purchases: () => purchasesView([WAITING]),
      items_list: () => ITEMS,
      etims_purchase_show: () => shown,
      etims_purchase_map: (args) => ({ ...shown, lines: shown.lines.map((l) => (l.line === args.line ? { ...l, item_id: String(args.item), mapped_by: 'user' } : l)) }),
      etims_purchase_accept: () => ({ ...shown, state: 'queued', answer: 'accepted', number: 7, sync_state: 'ready' }),
    })
    app.session = FINANCE_USER
    render(PurchasesPanel)
    await fireEvent.click(await found('[data-review="p-1"]'))
    const first = (await found('[data-line-item="1"]')) as HTMLSelectElement
    await waitFor(() => expect(first.options.length).toBe(3))
    // Line 1 comes with Hesabu's proposal; line 2 has none.
    expect(first.value).toBe(PAPER.id)
    expect(document.querySelector('[data-proposed="1"]')).not.toBeNull()
    await fireEvent.submit(document.querySelector('[data-review-form="p-1"]')!)
    expect((await found('#purchase-answer-error')).textContent).toContain('line 2 (Toner black (TN-05))')
    expect(callsOf('etims_purchase_accept')).toHaveLength(0)

    await fireEvent.change(document.querySelector('[data-line-item="2"]')!, { target: { value: TONER.id } })
    await fireEvent.submit(document.querySelector('[data-review-form="p-1"]')!)
    expect((await found('#purchases-notice')).textContent).toContain('accepted as purchase 7')
    expect(callsOf('etims_purchase_map')).toEqual([
      { id: 'p-1', line: 1, item: PAPER.id },
      { id: 'p-1', line: 2, item: TONER.id },
    ])
    expect(callsOf('etims_purchase_accept')[0]).toEqual({ id: 'p-1' })
  })

  it('rejects with a reason, shows the core’s refusal, and fetches from KRA again', async () => {
    let refuse = true
    commands({
      etims_purchases: () => purchasesView([WAITING]),
      items_list: () => ITEMS,
      etims_purchase_show: () => purchase({ lines: [line()] }),
      etims_purchase_reject: () => {
        if (refuse) {
          refuse = false
          throw wireError('conflict', 'The purchase from Mombasa Wholesale Supplies Ltd is already rejected.')
        }
        return purchase({ state: 'queued', answer: 'rejected', number: 3, reason: 'Never delivered' })
      },
      etims_purchases_refresh: () => ({ received: 2, new: 1, error: null, view: purchasesView([WAITING, REFUSED]) }),
    })
    app.session = FINANCE_USER
    render(PurchasesPanel)
    await fireEvent.click(await found('[data-review="p-1"]'))
    await fireEvent.click(await found('#purchase-reject'))
    await fireEvent.submit(await found('[data-reject-form="p-1"]'))
    expect((await found('#purchase-answer-error')).textContent).toContain('Say why')
    expect(callsOf('etims_purchase_reject')).toHaveLength(0)
    await fireEvent.input(document.getElementById('purchase-reason')!, { target: { value: ' Never delivered ' } })
    await fireEvent.submit(document.querySelector('[data-reject-form="p-1"]')!)
    await waitFor(() => expect(document.getElementById('purchase-answer-error')!.textContent).toContain('already rejected'))
    await fireEvent.submit(document.querySelector('[data-reject-form="p-1"]')!)
    expect((await found('#purchases-notice')).textContent).toContain('is rejected (purchase 3)')
    expect(callsOf('etims_purchase_reject')[1]).toEqual({ id: 'p-1', reason: 'Never delivered' })

    const refresh = document.getElementById('purchases-refresh') as HTMLButtonElement
    await waitFor(() => expect(refresh.disabled).toBe(false))
    await fireEvent.click(refresh)
    await waitFor(() => expect(document.getElementById('purchases-notice')!.textContent).toContain('1 new. 2 supplier sales are waiting'))
  })
})
