import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../../lib/session.svelte'
import { found } from '../../test/dom'
import { BOX, HAMPER, ITEMS, NEW_ITEM, SOAP, composition } from '../../test/etimsRecords'
import { AUDITOR, FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import CompositionsPanel from './CompositionsPanel.svelte'

async function choose(select: Element, value: string) {
  await fireEvent.change(select, { target: { value } })
}

describe('CompositionsPanel', () => {
  it('lists each composite item with its components and whether KRA has it; an auditor only reads', async () => {
    commands({ etims_compositions: () => [composition()] })
    app.session = AUDITOR
    render(CompositionsPanel)
    const row = await found('#compositions-table tr[data-composition="HAMPER"]')
    expect(row.textContent).toContain('2 × SOAP-1 Soap 1kg')
    expect(row.textContent).toContain('1 × BOX-1 Gift box')
    expect(row.textContent).toContain('KRA has it')
    expect(document.getElementById('composition-new')).toBeNull()
    expect(row.querySelector('[data-edit]')).toBeNull()
    expect(callsOf('items_list')).toHaveLength(0)
  })

  it('sets an item’s components, offering only items registered at KRA, and checks the form first', async () => {
    commands({
      etims_compositions: () => [],
      items_list: () => ITEMS,
      etims_composition_set: () => composition(),
    })
    app.session = FINANCE_USER
    render(CompositionsPanel)
    await found('#compositions-empty')
    await fireEvent.click(await found('#composition-new'))
    const item = (await found('#composition-item')) as HTMLSelectElement
    await waitFor(() => expect(item.options.length).toBe(4))
    expect([...item.options].map((o) => o.value)).not.toContain(NEW_ITEM.id)
    expect(document.getElementById('composition-form')!.textContent).toContain('1 active item is not registered at KRA yet')

    const form = document.getElementById('composition-form')!
    await fireEvent.submit(form)
    expect((await found('#composition-form-error')).textContent).toContain('Choose the item')

    await choose(item, HAMPER.id)
    await choose(document.querySelector('[data-component="0"]')!, SOAP.id)
    await fireEvent.input(document.querySelector('[data-quantity="0"]')!, { target: { value: '0' } })
    await fireEvent.submit(form)
    expect((await found('#composition-form-error')).textContent).toContain('greater than 0')
    expect(callsOf('etims_composition_set')).toHaveLength(0)

    await fireEvent.input(document.querySelector('[data-quantity="0"]')!, { target: { value: '2' } })
    await fireEvent.click(document.getElementById('composition-add-line')!)
    await choose(await found('[data-component="1"]'), BOX.id)
    await fireEvent.submit(form)
    await found('#compositions-notice')
    expect(callsOf('etims_composition_set')[0]).toEqual({
      item: HAMPER.id,
      components: [
        { item: SOAP.id, quantity: '2' },
        { item: BOX.id, quantity: '1' },
      ],
    })
    expect(document.getElementById('compositions-notice')!.textContent).toContain('queued for KRA')
    expect(document.getElementById('composition-form')).toBeNull()
  })

  it('changes a composition from its components, and shows the core’s refusal', async () => {
    commands({
      etims_compositions: () => [composition()],
      items_list: () => ITEMS,
      etims_composition_set: () => {
        throw wireError('invalid_input', 'Component BOX-1 is inactive: reactivate it or leave it out.')
      },
    })
    app.session = FINANCE_USER
    render(CompositionsPanel)
    await fireEvent.click(await found('tr[data-composition="HAMPER"] [data-edit]'))
    await waitFor(() => expect((document.querySelector('[data-quantity="1"]') as HTMLInputElement).value).toBe('1'))
    await fireEvent.click(document.querySelector('[data-remove="1"]')!)
    await fireEvent.submit(document.getElementById('composition-form')!)
    expect((await found('#composition-form-error')).textContent).toContain('inactive')
    expect(callsOf('etims_composition_set')[0]).toEqual({ item: HAMPER.id, components: [{ item: SOAP.id, quantity: '2' }] })
  })
})
