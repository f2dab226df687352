import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../../lib/session.svelte'
import { found } from '../../test/dom'
import { BOX, ITEMS, SOAP, importRow, importsView } from '../../test/etimsRecords'
import { AUDITOR, FINANCE_USER, callsOf, commands } from '../../test/tauri'
import ImportsPanel from './ImportsPanel.svelte'

const WAITING = importRow()
const OTHER = importRow({ reference: '2231943/20261128/2', line: 2, name: 'Gift boxes', quantity: '40', quantity_unit: 'U' })
const DONE = importRow({
  reference: '2231900/20261120/1',
  name: 'Tea',
  open: false,
  answer: { decision: 'accepted', item_code: 'TEA-1', remark: null, decided_at: '2026-11-20T08:00:00Z', sync_state: 'done', sync_error: null },
})

describe('ImportsPanel', () => {
  it('shows the lines waiting for an answer, the others on request; an auditor only reads', async () => {
    commands({ etims_imports: () => importsView([WAITING, OTHER, DONE]) })
    app.session = AUDITOR
    render(ImportsPanel)
    const row = await found('#imports-table tr[data-import="2231943/20261128/1"]')
    expect(row.textContent).toContain('Declaration C3460-2026-NBO, line 1')
    expect(row.textContent).toContain('Waiting for your answer')
    expect(document.querySelector('tr[data-import="2231900/20261120/1"]')).toBeNull()
    expect(document.getElementById('imports-state')!.textContent).toContain('Fetched from KRA')
    expect(document.querySelector('[data-accept]')).toBeNull()
    expect(document.getElementById('imports-refresh')).toBeNull()
    await fireEvent.click(document.getElementById('imports-all')!)
    expect((await found('tr[data-import="2231900/20261120/1"]')).textContent).toContain('Accepted as TEA-1 · KRA has it')
  })

  it('accepts a line into an item registered at KRA, with a remark', async () => {
    commands({
      etims_imports: () => importsView([WAITING, OTHER]),
      items_list: () => ITEMS,
      etims_import_accept: () => ({ ...WAITING, open: false, answer: { decision: 'accepted', item_code: 'SOAP-1', remark: 'ok', decided_at: '2026-12-02T05:00:00Z', sync_state: 'ready', sync_error: null } }),
    })
    app.session = FINANCE_USER
    render(ImportsPanel)
    await fireEvent.click(await found('[data-accept="2231943/20261128/2"]'))
    const select = (await found('[data-answer-item="2231943/20261128/2"]')) as HTMLSelectElement
    await waitFor(() => expect(select.options.length).toBe(4))
    // Nothing chosen yet for "Gift boxes": the form says so and asks nothing of KRA.
    await fireEvent.submit(document.querySelector('[data-answer-form="2231943/20261128/2"]')!)
    expect((await found('#import-answer-error')).textContent).toContain('Choose the item')
    await fireEvent.click(document.querySelector('[data-answer-form] .secondary')!)

    // "Soap 1kg" matches an item by name: it is chosen already.
    await fireEvent.click(await found('[data-accept="2231943/20261128/1"]'))
    await waitFor(() => expect((document.querySelector('[data-answer-item="2231943/20261128/1"]') as HTMLSelectElement).value).toBe(SOAP.id))
    await fireEvent.input(document.querySelector('[data-answer-remark="2231943/20261128/1"]')!, { target: { value: 'Received in full' } })
    await fireEvent.submit(document.querySelector('[data-answer-form="2231943/20261128/1"]')!)
    expect((await found('#imports-notice')).textContent).toContain('accepted as SOAP-1')
    expect(callsOf('etims_import_accept')[0]).toEqual({ reference: '2231943/20261128/1', item: SOAP.id, remark: 'Received in full' })
    expect(BOX.etims_state).toBe('registered')
  })

  it('rejects a line without a remark, and fetches the list from KRA again', async () => {
    commands({
      etims_imports: () => importsView([WAITING]),
      items_list: () => ITEMS,
      etims_import_reject: () => ({ ...WAITING, open: false }),
      etims_imports_refresh: () => importsView([WAITING, OTHER]),
    })
    app.session = FINANCE_USER
    render(ImportsPanel)
    await fireEvent.click(await found('[data-reject="2231943/20261128/1"]'))
    await fireEvent.submit(await found('[data-answer-form="2231943/20261128/1"]'))
    expect((await found('#imports-notice')).textContent).toContain('is rejected')
    expect(callsOf('etims_import_reject')[0]).toEqual({ reference: '2231943/20261128/1', remark: null })
    const refresh = document.getElementById('imports-refresh') as HTMLButtonElement
    await waitFor(() => expect(refresh.disabled).toBe(false))
    await fireEvent.click(refresh)
    await waitFor(() => expect(document.getElementById('imports-notice')!.textContent).toContain('2 imported items are waiting'))
  })
})
