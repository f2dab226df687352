import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { NewItem } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { ACCOUNTANT, AUDITOR, CODE_LISTS, item } from '../test/sales'
import { callsOf, commands, wireError } from '../test/tauri'
import ItemsPage from './ItemsPage.svelte'

const READS = {
  items_list: () => [item(), item({ id: 'it-2', code: 'CEM-50', name: 'Cement 50 kg', product_type: 'finished_good', packaging_unit: 'BG', quantity_unit: 'KG', unit_price: '850', kra_item_code: 'KE2BGKG0000002' })],
  sales_code_lists: () => CODE_LISTS,
}

describe('ItemsPage', () => {
  it('lists items with tax type, product type, units, price and KRA item code', async () => {
    commands(READS)
    app.session = ACCOUNTANT
    render(ItemsPage)
    const cement = await found('#items-table tr[data-item="CEM-50"]')
    const cells = [...cement.querySelectorAll('td')].map((td) => td.textContent!.replace(/\s+/g, ' ').trim())
    expect(cells.slice(0, 8)).toEqual([
      'CEM-50',
      'Cement 50 kg',
      'B Standard rated VAT',
      'Finished good',
      'BG / KG',
      '850.00',
      'KE2BGKG0000002',
      'Active',
    ])
  })

  it('adds an item with the selects filled from the KRA code lists', async () => {
    commands({ ...READS, item_add: ({ item: i }) => item({ id: 'it-3', ...(i as object), kra_item_code: 'KE2NTKG0000003' }) })
    app.session = ACCOUNTANT
    render(ItemsPage)
    await fireEvent.click(await found('#add-item'))
    const taxOptions = [...document.querySelectorAll<HTMLOptionElement>('#item-tax-type option')].map((o) => o.textContent)
    expect(taxOptions).toEqual([
      'A — Exempt',
      'B 16% — Standard rated VAT',
      'C 0% — Zero rated',
      'D — Non-VAT',
      'E 8% — Reduced VAT',
    ])
    await waitFor(() => expect(document.querySelectorAll('#item-quantity-unit option')).toHaveLength(4))
    expect(document.querySelector('#item-packaging-unit option[value="BG"]')!.textContent).toBe('BG — bag')

    await fireEvent.input(document.getElementById('item-code')!, { target: { value: 'SUG-1' } })
    await fireEvent.input(document.getElementById('item-name')!, { target: { value: 'Sugar 1 kg' } })
    await fireEvent.change(document.getElementById('item-tax-type')!, { target: { value: 'E' } })
    await fireEvent.change(document.getElementById('item-quantity-unit')!, { target: { value: 'KG' } })
    await fireEvent.input(document.getElementById('item-price')!, { target: { value: '1,250.50' } })
    await fireEvent.click(document.getElementById('item-save')!)
    await found('tr[data-item="SUG-1"]')
    const sent = callsOf('item_add')[0].item as NewItem
    expect(sent).toMatchObject({
      code: 'SUG-1',
      name: 'Sugar 1 kg',
      tax_type: 'E',
      product_type: 'finished_good',
      quantity_unit: 'KG',
      packaging_unit: null,
      unit_price: '1250.50',
      origin_country: 'KE',
    })
    expect(document.getElementById('items-notice')!.textContent).toContain('KRA item code is KE2NTKG0000003')
  })

  it("shows the core's error under the field it names", async () => {
    commands({
      ...READS,
      item_add: () => {
        throw wireError('invalid_input', "Classification code '12' is not a KRA item class: use the 8- or 10-digit code from KRA's item classification list, e.g. 81121500.")
      },
    })
    app.session = ACCOUNTANT
    render(ItemsPage)
    await fireEvent.click(await found('#add-item'))
    await fireEvent.input(document.getElementById('item-code')!, { target: { value: 'X' } })
    await fireEvent.input(document.getElementById('item-name')!, { target: { value: 'X' } })
    await fireEvent.input(document.getElementById('item-classification')!, { target: { value: '12' } })
    await fireEvent.input(document.getElementById('item-price')!, { target: { value: '10' } })
    await fireEvent.click(document.getElementById('item-save')!)
    const error = await found('#item-form-error')
    expect(error.closest('label')!.querySelector('#item-classification')).not.toBeNull()
  })

  it('is read-only for an auditor', async () => {
    commands(READS)
    app.session = AUDITOR
    render(ItemsPage)
    await found('#items-table tr[data-item="SRV-001"]')
    expect(document.getElementById('add-item')).toBeNull()
    expect(document.querySelector('button[data-edit]')).toBeNull()
  })
})
