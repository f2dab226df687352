import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { ACCOUNTANT, MANAGER } from '../../test/sales'
import { callsOf, commands } from '../../test/tauri'
import SalesSettingsPanel from './SalesSettingsPanel.svelte'

describe('SalesSettingsPanel', () => {
  it('saves the price basis and the approval threshold', async () => {
    commands({
      sales_settings_get: () => ({ price_basis: 'exclusive', approval_above: null }),
      sales_settings_set: ({ change }) => change,
    })
    app.session = MANAGER
    render(SalesSettingsPanel)
    await waitFor(() => expect((document.getElementById('sales-settings-basis') as HTMLSelectElement).disabled).toBe(false))
    await fireEvent.change(document.getElementById('sales-settings-basis')!, { target: { value: 'inclusive' } })
    await fireEvent.input(document.getElementById('sales-settings-threshold')!, { target: { value: '250,000' } })
    await fireEvent.click(document.getElementById('sales-settings-save')!)
    expect((await found('#sales-settings-notice')).textContent).toContain('above KES 250,000.00')
    expect(callsOf('sales_settings_set')).toEqual([{ change: { price_basis: 'inclusive', approval_above: '250000' } }])
  })

  it('is read-only without sales_settings', async () => {
    commands({ sales_settings_get: () => ({ price_basis: 'inclusive', approval_above: '100000' }) })
    app.session = ACCOUNTANT
    render(SalesSettingsPanel)
    await waitFor(() => expect((document.getElementById('sales-settings-threshold') as HTMLInputElement).value).toBe('100,000.00'))
    expect((document.getElementById('sales-settings-basis') as HTMLSelectElement).disabled).toBe(true)
    expect(document.getElementById('sales-settings-save')).toBeNull()
  })
})
