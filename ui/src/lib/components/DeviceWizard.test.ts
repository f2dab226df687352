import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it, vi } from 'vitest'
import { found } from '../../test/dom'
import { device, deviceInfo } from '../../test/etims'
import { ADMIN, callsOf, commands, wireError } from '../../test/tauri'
import type { DeviceSetupInput } from '../bindings'
import { app } from '../session.svelte'
import DeviceWizard from './DeviceWizard.svelte'

const setupOf = (i: number) => callsOf('etims_device_init')[i].setup as DeviceSetupInput

async function toStepTwo() {
  await fireEvent.submit(await found('#device-step-1'))
  await found('#device-serial')
}

describe('DeviceWizard', () => {
  it('sets a device up on KRA’s sandbox by default and shows KRA’s answer', async () => {
    commands({ etims_device_init: () => ({ device: device(), already_installed: null }) })
    app.session = ADMIN
    const ondone = vi.fn()
    render(DeviceWizard, { info: deviceInfo(), ondone, oncancel: vi.fn() })
    expect(document.getElementById('device-wizard')!.textContent).toContain('etims-api-sbx.kra.go.ke')
    await toStepTwo()
    // The serial is required.
    await fireEvent.submit(document.getElementById('device-step-2')!)
    expect((await found('#device-wizard-error')).textContent).toContain('serial number')
    await fireEvent.input(document.getElementById('device-serial')!, { target: { value: ' SN-0001 ' } })
    await fireEvent.submit(document.getElementById('device-step-2')!)
    const result = await found('#device-result')
    expect(result.textContent).toContain('KRACU0100000001')
    expect(result.textContent).toContain('WIS01000150')
    expect(result.textContent).toContain('SAVANNAH TRADERS LTD')
    expect(result.textContent).toContain('Headquarters')
    expect(setupOf(0)).toMatchObject({ profile: 'legacy', production: false, base_url: null, serial: 'SN-0001', tin: null, replace: false, cmc_key: null })
    await fireEvent.click(document.getElementById('device-finish')!)
    expect(ondone).toHaveBeenCalledWith(device())
  })

  it('asks for an explicit confirmation before KRA production', async () => {
    commands({ etims_device_init: () => ({ device: device({ base_url: 'https://etims-api.kra.go.ke/etims-api/' }), already_installed: null }) })
    app.session = ADMIN
    render(DeviceWizard, { info: deviceInfo(), ondone: vi.fn(), oncancel: vi.fn() })
    await fireEvent.click(await found('#device-env-production'))
    expect((document.getElementById('device-base-url') as HTMLInputElement).value).toBe('https://etims-api.kra.go.ke/etims-api/')
    await fireEvent.submit(document.getElementById('device-step-1')!)
    expect((await found('#device-wizard-error')).textContent).toContain('declared to KRA for real')
    expect(document.getElementById('device-serial')).toBeNull()
    await fireEvent.click(document.getElementById('device-production-confirm')!)
    await toStepTwo()
    await fireEvent.input(document.getElementById('device-serial')!, { target: { value: 'SN-0001' } })
    await fireEvent.submit(document.getElementById('device-step-2')!)
    await found('#device-result')
    expect(setupOf(0)).toMatchObject({ production: true, base_url: 'https://etims-api.kra.go.ke/etims-api/' })
  })

  it('asks for the key kept when KRA says the device is installed (902)', async () => {
    let calls = 0
    commands({
      etims_device_init: () =>
        ++calls === 1
          ? { device: null, already_installed: 'KRA says this device is already installed (902: This device is installed).' }
          : { device: device({ key_source: 'entered' }), already_installed: null },
    })
    app.session = ADMIN
    render(DeviceWizard, { info: deviceInfo(), ondone: vi.fn(), oncancel: vi.fn() })
    await toStepTwo()
    await fireEvent.input(document.getElementById('device-serial')!, { target: { value: 'SN-0001' } })
    await fireEvent.submit(document.getElementById('device-step-2')!)
    const installed = await found('#device-installed')
    expect(installed.textContent).toContain('already installed')
    expect(installed.textContent).toContain('902')
    // All three are needed.
    await fireEvent.input(document.getElementById('device-cmc-key')!, { target: { value: 'KEY-KEPT' } })
    await fireEvent.submit(document.getElementById('device-step-2')!)
    expect((await found('#device-wizard-error')).textContent).toContain('SCU id')
    await fireEvent.input(document.getElementById('device-sdc-id')!, { target: { value: 'KRACU0100000001' } })
    await fireEvent.input(document.getElementById('device-mrc-no')!, { target: { value: 'WIS01000150' } })
    await fireEvent.submit(document.getElementById('device-step-2')!)
    await found('#device-result')
    expect(setupOf(1)).toMatchObject({ serial: 'SN-0001', cmc_key: 'KEY-KEPT', sdc_id: 'KRACU0100000001', mrc_no: 'WIS01000150' })
  })

  it('replaces a device only with the override ticked, and shows the refusal otherwise', async () => {
    commands({ etims_device_init: () => { throw wireError('unavailable', 'Could not initialise the e-TIMS device: connection refused. Check the internet connection.') } })
    app.session = ADMIN
    render(DeviceWizard, { info: deviceInfo(device()), ondone: vi.fn(), oncancel: vi.fn() })
    expect(document.querySelector('#device-wizard h2')!.textContent).toBe('Replace the e-TIMS device')
    await toStepTwo()
    expect(document.getElementById('device-replace-warning')!.textContent).toContain('cannot be undone at KRA')
    const submit = document.getElementById('device-submit') as HTMLButtonElement
    expect(submit.disabled).toBe(true)
    await fireEvent.input(document.getElementById('device-serial')!, { target: { value: 'SN-0002' } })
    await fireEvent.click(document.getElementById('device-replace')!)
    await waitFor(() => expect(submit.disabled).toBe(false))
    await fireEvent.click(submit)
    expect((await found('#device-wizard-error')).textContent).toContain('connection refused')
    expect(setupOf(0)).toMatchObject({ replace: true, serial: 'SN-0002' })
  })

  it('cancels with Escape', async () => {
    commands({})
    app.session = ADMIN
    const oncancel = vi.fn()
    render(DeviceWizard, { info: deviceInfo(), ondone: vi.fn(), oncancel })
    await fireEvent.keyDown(document.getElementById('device-wizard')!, { key: 'Escape' })
    expect(oncancel).toHaveBeenCalled()
  })
})
