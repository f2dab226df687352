import { fireEvent, render } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../../lib/session.svelte'
import { found } from '../../test/dom'
import { insurer } from '../../test/etimsRecords'
import { AUDITOR, FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import InsurersPanel from './InsurersPanel.svelte'

describe('InsurersPanel', () => {
  it('lists the insurers with their rate as a percent; an auditor only reads', async () => {
    commands({ etims_insurers: () => [insurer(), insurer({ id: 'ins-2', code: 'JUB', name: 'Jubilee', active: false, sync_state: 'dead', sync_error: 'KRA refused the code' })] })
    app.session = AUDITOR
    render(InsurersPanel)
    const aar = await found('#insurers-table tr[data-insurer="AAR01"]')
    expect(aar.textContent).toContain('12.5 %')
    expect(aar.textContent).toContain('Waiting for the next sync')
    const jub = document.querySelector('#insurers-table tr[data-insurer="JUB"]')!
    expect(jub.classList).toContain('inactive')
    expect(jub.textContent).toContain('Not accepted by KRA')
    expect(jub.textContent).toContain('KRA refused the code')
    expect(document.getElementById('insurer-new')).toBeNull()
    expect(document.querySelector('[data-edit]')).toBeNull()
  })

  it('adds an insurer, checking the rate before asking the core', async () => {
    commands({
      etims_insurers: () => [],
      etims_insurer_add: ({ insurer: i }: Record<string, unknown>) => insurer({ ...(i as object), premium_rate: '20' }),
    })
    app.session = FINANCE_USER
    render(InsurersPanel)
    await fireEvent.click(await found('#insurer-new'))
    await fireEvent.input(await found('#insurer-code'), { target: { value: 'AAR01' } })
    await fireEvent.input(document.getElementById('insurer-name')!, { target: { value: 'AAR Insurance' } })
    await fireEvent.input(document.getElementById('insurer-rate')!, { target: { value: '120' } })
    await fireEvent.submit(document.getElementById('insurer-form')!)
    expect((await found('#insurer-form-error')).textContent).toContain('percent from 0 to 100')
    expect(callsOf('etims_insurer_add')).toHaveLength(0)
    await fireEvent.input(document.getElementById('insurer-rate')!, { target: { value: '20%' } })
    await fireEvent.submit(document.getElementById('insurer-form')!)
    expect((await found('#insurers-notice')).textContent).toContain('at 20 % and queued for KRA')
    expect(callsOf('etims_insurer_add')[0]).toEqual({ insurer: { code: 'AAR01', name: 'AAR Insurance', premium_rate: '20%' } })
  })

  it('changes an insurer’s rate and switches it off; the core’s refusal is shown in the form', async () => {
    commands({
      etims_insurers: () => [insurer()],
      etims_insurer_update: () => {
        throw wireError('permission_denied', 'You may not change the sales master data.')
      },
    })
    app.session = FINANCE_USER
    render(InsurersPanel)
    await fireEvent.click(await found('tr[data-insurer="AAR01"] [data-edit]'))
    expect(((await found('#insurer-rate')) as HTMLInputElement).value).toBe('12.5')
    expect((document.getElementById('insurer-code') as HTMLInputElement).disabled).toBe(true)
    await fireEvent.input(document.getElementById('insurer-rate')!, { target: { value: '15' } })
    await fireEvent.click(document.getElementById('insurer-active')!)
    await fireEvent.submit(document.getElementById('insurer-form')!)
    expect((await found('#insurer-form-error')).textContent).toContain('may not change')
    expect(callsOf('etims_insurer_update')[0]).toEqual({ key: 'ins-1', change: { name: 'AAR Insurance', premium_rate: '15', active: false } })
  })
})
