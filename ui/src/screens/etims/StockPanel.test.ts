import { fireEvent, render } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { StockLevelView, StockMovementView } from '../../lib/bindings'
import { app } from '../../lib/session.svelte'
import { found } from '../../test/dom'
import { AUDITOR, FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import StockPanel from './StockPanel.svelte'

function level(over: Partial<StockLevelView> = {}): StockLevelView {
  return {
    item_id: 'item-sugar',
    code: 'SUGAR-50',
    name: 'Sugar 50 kg bag',
    kra_item_code: 'KE2BGKG0000001',
    quantity_unit: 'KG',
    quantity: '0',
    recorded: false,
    last_sar_no: null,
    last_kind: null,
    sync_state: null,
    sync_error: null,
    updated_at: null,
    ...over,
  }
}

function movement(over: Partial<StockMovementView> = {}): StockMovementView {
  return {
    id: 'mv-1',
    sar_no: 1,
    kind: 'opening',
    sar_ty_cd: '06',
    source: 'opening:item-sugar',
    counterparty_tin: null,
    counterparty_name: null,
    occurred_on: '2026-12-03',
    reason: 'opening stock',
    lines: [{ item_id: 'item-sugar', code: 'SUGAR-50', name: 'Sugar 50 kg bag', quantity: '10', unit_price: '5200', remaining_after: '10' }],
    outbox_id: 'ob-1',
    sync_state: 'ready',
    sync_error: null,
    created_at: '2026-12-03T08:00:00.000Z',
    ...over,
  }
}

const RICE = level({
  item_id: 'item-rice',
  code: 'RICE-25',
  name: 'Rice 25 kg',
  quantity: '7.5',
  recorded: true,
  last_sar_no: 4,
  last_kind: 'sale',
  sync_state: 'dead',
  sync_error: 'KRA refused sarNo 4',
})

describe('StockPanel', () => {
  it('lists each goods item’s stock and where KRA stands; an auditor only reads', async () => {
    commands({ etims_stock_levels: () => [RICE, level()] })
    app.session = AUDITOR
    render(StockPanel)
    const rice = await found('#stock-table tr[data-stock="RICE-25"]')
    expect(rice.textContent).toContain('7.5 KG')
    expect(rice.textContent).toContain('4')
    expect(rice.textContent).toContain('Not accepted by KRA')
    expect(rice.textContent).toContain('KRA refused sarNo 4')
    const sugar = document.querySelector('#stock-table tr[data-stock="SUGAR-50"]')!
    expect(sugar.textContent).toContain('None recorded')
    expect(sugar.textContent).toContain('No stock at KRA')
    expect(document.getElementById('stock-opening-new')).toBeNull()
    expect(document.querySelector('[data-opening]')).toBeNull()
  })

  it('records opening stock, checking the figures before asking the core', async () => {
    let recorded = false
    commands({
      etims_stock_levels: () => (recorded ? [RICE, level({ quantity: '10', recorded: true, last_sar_no: 1, sync_state: 'ready' })] : [RICE, level()]),
      etims_stock_opening: () => {
        recorded = true
        return movement()
      },
    })
    app.session = FINANCE_USER
    render(StockPanel)
    // Only the item without stock is offered.
    await fireEvent.click(await found('[data-opening="SUGAR-50"]'))
    const options = [...document.querySelectorAll('#stock-item option')].map((o) => o.getAttribute('value'))
    expect(options).toEqual(['SUGAR-50'])
    await fireEvent.input(await found('#stock-quantity'), { target: { value: '0' } })
    await fireEvent.input(document.getElementById('stock-cost')!, { target: { value: '5200' } })
    await fireEvent.submit(document.getElementById('stock-opening-form')!)
    expect((await found('#stock-form-error')).textContent).toContain('greater than 0')
    await fireEvent.input(document.getElementById('stock-quantity')!, { target: { value: '10' } })
    await fireEvent.input(document.getElementById('stock-cost')!, { target: { value: '0' } })
    await fireEvent.submit(document.getElementById('stock-opening-form')!)
    expect((await found('#stock-form-error')).textContent).toContain('no zero amounts')
    expect(callsOf('etims_stock_opening')).toHaveLength(0)
    await fireEvent.input(document.getElementById('stock-cost')!, { target: { value: '5200' } })
    await fireEvent.submit(document.getElementById('stock-opening-form')!)
    expect((await found('#stock-notice')).textContent).toContain('Opening stock of 10 for SUGAR-50 is recorded (stock movement 1)')
    expect(callsOf('etims_stock_opening')[0]).toEqual({ item: 'SUGAR-50', quantity: '10', cost: '5200' })
    const sugar = await found('#stock-table tr[data-stock="SUGAR-50"]')
    await expect.poll(() => sugar.textContent).toContain('Waiting for the next sync')
    expect(document.getElementById('stock-opening-form')).toBeNull()
  })

  it('shows the core’s refusal in the form, and no button without a device', async () => {
    commands({
      etims_stock_levels: () => [level()],
      etims_stock_opening: () => {
        throw wireError('invalid_input', 'Item SUGAR-50 is not registered at KRA yet.')
      },
    })
    app.session = FINANCE_USER
    const { unmount } = render(StockPanel)
    await fireEvent.click(await found('#stock-opening-new'))
    await fireEvent.input(await found('#stock-quantity'), { target: { value: '2.5' } })
    await fireEvent.input(document.getElementById('stock-cost')!, { target: { value: '100' } })
    await fireEvent.submit(document.getElementById('stock-opening-form')!)
    expect((await found('#stock-form-error')).textContent).toContain('not registered at KRA')
    unmount()

    render(StockPanel, { props: { hasDevice: false } })
    expect(((await found('#stock-opening-new')) as HTMLButtonElement).disabled).toBe(true)
  })

  it('adjusts an item to the quantity counted: the difference goes to the core, exactly', async () => {
    let adjusted = false
    const after = { ...RICE, quantity: '5.25', last_sar_no: 5, last_kind: 'adjustment_out', sync_state: 'ready', sync_error: null }
    commands({
      etims_stock_levels: () => (adjusted ? [after] : [RICE]),
      etims_stock_adjust: () => {
        adjusted = true
        return movement({ sar_no: 5, kind: 'adjustment_out', sar_ty_cd: '16' })
      },
    })
    app.session = FINANCE_USER
    render(StockPanel)
    await fireEvent.click(await found('[data-adjust="RICE-25"]'))
    const counted = await found('#stock-counted')
    // 7.5 on hand, 5.25 counted: 2.25 out, computed without floating point.
    await fireEvent.input(counted, { target: { value: '5.25' } })
    expect(document.getElementById('stock-change')!.textContent).toBe('2.25 KG out')
    await fireEvent.submit(document.getElementById('stock-count-form')!)
    expect((await found('#stock-count-error')).textContent).toContain('Say why')
    await fireEvent.input(counted, { target: { value: '-1' } })
    await fireEvent.input(document.getElementById('stock-reason')!, { target: { value: 'Stock count 31 Dec' } })
    await fireEvent.submit(document.getElementById('stock-count-form')!)
    expect((await found('#stock-count-error')).textContent).toContain('0 or more')
    await fireEvent.input(counted, { target: { value: '7.5' } })
    await fireEvent.submit(document.getElementById('stock-count-form')!)
    await expect.poll(() => document.getElementById('stock-count-error')?.textContent).toContain('nothing to adjust')
    expect(callsOf('etims_stock_adjust')).toHaveLength(0)
    await fireEvent.input(counted, { target: { value: '5.25' } })
    await fireEvent.submit(document.getElementById('stock-count-form')!)
    expect((await found('#stock-notice')).textContent).toContain('RICE-25 adjusted by -2.25 KG to 5.25 (stock movement 5)')
    expect(callsOf('etims_stock_adjust')[0]).toEqual({ item: 'RICE-25', delta: '-2.25', reason: 'Stock count 31 Dec' })
    expect(document.getElementById('stock-count-form')).toBeNull()
    await expect.poll(() => document.querySelector('#stock-table tr[data-stock="RICE-25"]')?.textContent).toContain('5.25 KG')
  })

  it('says so when the quantity on hand moved since the count form opened, and writes nothing', async () => {
    let calls = 0
    commands({
      // A sale signed in the background between opening the form and saving it.
      etims_stock_levels: () => (++calls === 1 ? [RICE] : [{ ...RICE, quantity: '6.5' }]),
      etims_stock_adjust: () => movement(),
    })
    app.session = FINANCE_USER
    render(StockPanel)
    await fireEvent.click(await found('[data-adjust="RICE-25"]'))
    await fireEvent.input(await found('#stock-counted'), { target: { value: '7' } })
    await fireEvent.input(document.getElementById('stock-reason')!, { target: { value: 'count' } })
    await fireEvent.submit(document.getElementById('stock-count-form')!)
    expect((await found('#stock-count-error')).textContent).toContain('changed from 7.5 to 6.5')
    expect(callsOf('etims_stock_adjust')).toHaveLength(0)
    // The form now counts from the new figure: 7 counted is 0.5 in.
    expect(document.getElementById('stock-change')!.textContent).toBe('0.5 KG in')
  })

  it('lists an item’s movements for anyone who may see stock; an auditor cannot adjust', async () => {
    commands({
      etims_stock_levels: () => [RICE],
      etims_stock_moves: () => [
        movement({
          id: 'mv-4',
          sar_no: 4,
          kind: 'sale',
          sar_ty_cd: '11',
          counterparty_name: 'Acme Traders',
          lines: [
            { item_id: 'item-sugar', code: 'SUGAR-50', name: 'Sugar', quantity: '-1', unit_price: '5000', remaining_after: '9' },
            { item_id: 'item-rice', code: 'RICE-25', name: 'Rice 25 kg', quantity: '-2.5', unit_price: '3000', remaining_after: '7.5' },
          ],
          sync_state: 'dead',
          sync_error: 'KRA refused sarNo 4',
        }),
      ],
    })
    app.session = AUDITOR
    render(StockPanel)
    await found('[data-moves="RICE-25"]')
    expect(document.querySelector('[data-adjust]')).toBeNull()
    await fireEvent.click(document.querySelector('[data-moves="RICE-25"]')!)
    const row = await found('#stock-moves tr[data-move="4"]')
    expect(callsOf('etims_stock_moves')[0]).toEqual({ item: 'RICE-25' })
    // The line of the item shown, not the sale's first line.
    expect(row.textContent).toContain('-2.5')
    expect(row.textContent).toContain('7.5')
    expect(row.textContent).not.toContain('5000')
    expect(row.textContent).toContain('Sale')
    expect(row.textContent).toContain('Acme Traders')
    expect(row.textContent).toContain('KRA refused sarNo 4')
  })
})
