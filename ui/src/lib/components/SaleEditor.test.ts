import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it, vi } from 'vitest'
import type { NewSale, NewSaleLine } from '../bindings'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { ACCOUNTANT, CODE_LISTS, TOTALS, customer, item, sale } from '../../test/sales'
import { callsOf, commands, wireError } from '../../test/tauri'
import SaleEditor from './SaleEditor.svelte'

const READS = {
  items_list: () => [item(), item({ id: 'it-2', code: 'CEM-50', name: 'Cement 50 kg', tax_type: 'B', unit_price: '850', product_type: 'finished_good' })],
  customers_list: () => [customer(), customer({ id: 'cu-2', number: 'C-00002', name: 'Baraka Stores', kra_pin: null, customer_type: 'b2c' })],
  sales_settings_get: () => ({ price_basis: 'inclusive', approval_above: null }),
  sale_preview: () => TOTALS,
}

function start(props: Partial<{ onsaved: (...a: unknown[]) => void; onclose: () => void }> = {}) {
  return render(SaleEditor, {
    props: {
      start: { mode: 'new', docType: 'invoice' },
      codeLists: CODE_LISTS,
      onsaved: props.onsaved ?? (() => {}),
      onclose: props.onclose ?? (() => {}),
    },
  })
}

const cell = (line: number, name: string) =>
  document.querySelector<HTMLInputElement>(`#sale-lines tr[data-line="${line}"] [data-cell="${name}"]`)!

/** The editor has loaded its lists and put the focus on the customer. */
const ready = () => waitFor(() => expect(document.activeElement?.id).toBe('sale-customer'))

function lastPreviewLines(): NewSaleLine[] {
  return callsOf('sale_preview').at(-1)!.lines as NewSaleLine[]
}

describe('SaleEditor', () => {
  it('adds a line from the keyboard and shows the band totals the core computed', async () => {
    commands(READS)
    app.session = ACCOUNTANT
    start()
    // The editor opens on the customer, once its lists are loaded.
    await ready()

    // Type in the item cell: the matching items are listed; Enter picks the first and moves on.
    const itemCell = cell(1, 'item')
    itemCell.focus()
    await fireEvent.input(itemCell, { target: { value: 'consult' } })
    const option = await found('#sale-lines [role="option"]')
    expect(option.textContent).toContain('Consulting (per day)')
    expect(option.textContent).toContain('SRV-001')
    await fireEvent.keyDown(itemCell, { key: 'Enter' })
    expect(itemCell.value).toBe('Consulting (per day)')
    expect(cell(1, 'price').value).toBe('5,000.00')
    expect(cell(1, 'tax').value).toBe('B')
    await waitFor(() => expect(document.activeElement).toBe(cell(1, 'qty')))

    // Tab goes through the cells (the browser's own Tab); Enter on the tax cell starts a line.
    await fireEvent.input(cell(1, 'qty'), { target: { value: '2' } })
    cell(1, 'tax').focus()
    await fireEvent.keyDown(cell(1, 'tax'), { key: 'Enter' })
    await waitFor(() => expect(document.querySelectorAll('#sale-lines tbody tr')).toHaveLength(2))
    await waitFor(() => expect(document.activeElement).toBe(cell(2, 'item')))

    // The totals are the core's, 200 ms after the last change; the blank new line is not sent.
    await waitFor(() => expect(lastPreviewLines()).toHaveLength(1))
    expect(lastPreviewLines()[0]).toMatchObject({ item: 'SRV-001', description: null, quantity: '2', unit_price: '5000.00', tax_type: 'B' })
    expect(callsOf('sale_preview').at(-1)!.basis).toBe('inclusive')
    const b = await found('#sale-editor-totals tr[data-band="B"]')
    await waitFor(() => expect(b.querySelector('[data-taxable]')!.textContent).toBe('4,310.34'))
    expect(b.querySelector('[data-vat]')!.textContent).toBe('689.66')
    expect(document.querySelector('#sale-editor-totals [data-total="taxable"]')!.textContent).toBe('4,310.34')
    expect(document.querySelector('#sale-editor-totals [data-total="vat"]')!.textContent).toBe('689.66')
    expect(document.querySelector('#sale-editor-totals [data-total="total"]')!.textContent).toBe('5,000.00')
    expect(document.querySelector('#sale-lines tr[data-line="1"] [data-line-total]')!.textContent).toBe('5,000.00')
  })

  it('takes a line without an item: description, price and tax type', async () => {
    commands(READS)
    app.session = ACCOUNTANT
    start()
    await ready()
    await fireEvent.input(cell(1, 'item'), { target: { value: 'Delivery to Thika' } })
    await fireEvent.keyDown(cell(1, 'item'), { key: 'Enter' })
    await waitFor(() => expect(document.activeElement).toBe(cell(1, 'qty')))
    await fireEvent.input(cell(1, 'price'), { target: { value: '1,500' } })
    expect(document.getElementById('sale-waiting-lines')).toBeNull()
    await fireEvent.change(cell(1, 'tax'), { target: { value: 'B' } })
    await waitFor(() =>
      expect(lastPreviewLines()).toEqual([
        {
          item: null,
          description: 'Delivery to Thika',
          quantity: '1',
          unit_price: '1500',
          discount_percent: null,
          discount_amount: null,
          tax_type: 'B',
          original_line: null,
        },
      ]),
    )
  })

  it("shows the core's message about a line next to the lines, numbered as in the grid", async () => {
    commands({
      ...READS,
      sale_preview: () => {
        throw wireError('invalid_input', 'Line 1: the unit price 99999999999999999 is above the largest amount Hesabu accepts.')
      },
    })
    app.session = ACCOUNTANT
    start()
    await ready()
    // Line 1 stays blank (not sent); line 2 is the core's "Line 1".
    await fireEvent.click(document.getElementById('sale-add-line')!)
    await fireEvent.input(cell(2, 'item'), { target: { value: 'Big thing' } })
    await fireEvent.input(cell(2, 'price'), { target: { value: '99999999999999999' } })
    await fireEvent.change(cell(2, 'tax'), { target: { value: 'B' } })
    const message = await found('#sale-line-error')
    expect(message.textContent).toBe('Line 2: the unit price 99999999999999999 is above the largest amount Hesabu accepts.')
    expect(document.querySelector('#sale-lines tr[data-line="2"]')!.classList.contains('line-error')).toBe(true)
  })

  it('refuses a quantity that is not a number before asking the core', async () => {
    commands(READS)
    app.session = ACCOUNTANT
    start()
    await ready()
    await fireEvent.input(cell(1, 'item'), { target: { value: 'Cons' } })
    await fireEvent.keyDown(cell(1, 'item'), { key: 'Enter' })
    await fireEvent.input(cell(1, 'qty'), { target: { value: 'two' } })
    expect((await found('#sale-line-error')).textContent).toContain("Line 1: the quantity 'two' is not a number")
  })

  it('picks a customer by typing, saves the draft and issues it', async () => {
    const onsaved = vi.fn()
    const draft = sale({ id: 's-9', status: 'draft', number: null })
    commands({
      ...READS,
      sale_create: () => draft,
      sale_issue: () => ({ ...draft, status: 'issued', number: 'INV-000013' }),
    })
    app.session = ACCOUNTANT
    start({ onsaved })
    await ready()
    const picker = document.getElementById('sale-customer') as HTMLInputElement
    await fireEvent.input(picker, { target: { value: 'acme' } })
    await fireEvent.keyDown(picker, { key: 'ArrowDown' })
    await fireEvent.keyDown(picker, { key: 'Enter' })
    expect(picker.value).toBe('Acme Hardware Ltd')
    expect(document.getElementById('sale-customer-hint')!.textContent).toContain('C-00001 · PIN P051234567X')

    await fireEvent.input(cell(1, 'item'), { target: { value: 'CEM' } })
    await fireEvent.keyDown(cell(1, 'item'), { key: 'Enter' })
    await fireEvent.click(document.getElementById('sale-save-issue')!)
    await waitFor(() => expect(onsaved).toHaveBeenCalled())
    const sent = callsOf('sale_create')[0].sale as NewSale
    expect(sent).toMatchObject({ doc_type: 'invoice', customer: 'C-00001', walk_in_name: null, currency: 'KES', price_basis: 'inclusive' })
    expect(sent.lines).toEqual([
      expect.objectContaining({ item: 'CEM-50', quantity: '1', unit_price: '850.00', tax_type: 'B' }),
    ])
    expect(callsOf('sale_issue')).toEqual([{ key: 's-9' }])
    expect(onsaved.mock.calls[0][1]).toBe('Invoice INV-000013 issued.')
  })

  it('keeps the draft when issuing fails, and saves it again instead of a second one', async () => {
    const draft = sale({ id: 's-9', status: 'draft', number: null })
    commands({
      ...READS,
      sale_create: () => draft,
      sale_update: () => draft,
      sale_issue: () => {
        throw wireError('invalid_input', 'the draft invoice to Acme is dated 2027-01-01, after today (2026-12-02); KRA refuses post-dated sales.')
      },
    })
    app.session = ACCOUNTANT
    start()
    await ready()
    await fireEvent.input(cell(1, 'item'), { target: { value: 'CEM' } })
    await fireEvent.keyDown(cell(1, 'item'), { key: 'Enter' })
    await fireEvent.click(document.getElementById('sale-save-issue')!)
    expect((await found('#sale-editor-error')).textContent).toContain('The draft is saved, but it was not issued: the draft invoice')
    await fireEvent.click(document.getElementById('sale-save-issue')!)
    await waitFor(() => expect(callsOf('sale_update')).toHaveLength(1))
    expect(callsOf('sale_create')).toHaveLength(1)
    expect(callsOf('sale_update')[0].key).toBe('s-9')
  })

  it("marks the line the core's refusal to save names, and says it above the lines", async () => {
    commands({
      ...READS,
      sale_create: () => {
        throw wireError('invalid_input', 'Line 1 has no item, so it needs a tax type (A exempt, B 16%, C 0%, D non-VAT, E 8%).')
      },
    })
    app.session = ACCOUNTANT
    start()
    await ready()
    await fireEvent.input(cell(1, 'item'), { target: { value: 'Transport' } })
    await fireEvent.input(cell(1, 'price'), { target: { value: '900' } })
    // Still being typed: left out of the totals, and said so.
    expect((await found('#sale-waiting-lines')).textContent).toContain('Line 1 is not counted')
    await fireEvent.click(document.getElementById('sale-save-draft')!)
    expect((await found('#sale-editor-error')).textContent).toContain('Line 1 has no item, so it needs a tax type')
    // The live totals computed meanwhile do not take the mark away.
    await new Promise((r) => setTimeout(r, 300))
    expect(document.querySelector('#sale-lines tr[data-line="1"]')!.classList.contains('line-error')).toBe(true)
  })

  it('offers no "Save & issue" to a role that may only write drafts', async () => {
    commands(READS)
    app.session = { ...ACCOUNTANT, permissions: ['sales_view', 'sales_draft'] }
    start()
    await found('#sale-save-draft')
    expect(document.getElementById('sale-save-issue')).toBeNull()
  })
})
