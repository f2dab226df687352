import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { found } from '../../test/dom'
import { AUDITOR, MANAGER } from '../../test/sales'
import { ADMIN, FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import type { PrinterList, ReceiptSettings } from '../bindings'
import { app } from '../session.svelte'
import PrinterSettings from './PrinterSettings.svelte'

const PRINTERS: PrinterList = {
  os_printers: ['Office', 'Kitchen_Thermal'],
  os_default: 'Office',
  os_problem: null,
  settings: {
    top_message: null,
    bottom_message: 'THANK YOU',
    default_format: '80mm',
    printer_80mm: 'network:10.0.0.5:9100',
    printer_58mm: null,
    printer_a4: 'cups:Office',
  },
}

describe('PrinterSettings', () => {
  it('shows each paper’s printer and saves the changes', async () => {
    commands({
      receipt_printers: () => PRINTERS,
      receipt_settings_set: ({ change }: Record<string, unknown>) => {
        const c = change as ReceiptSettings
        return { ...c, printer_58mm: c.printer_58mm?.replace('net:', 'network:') ?? null }
      },
    })
    app.session = MANAGER
    render(PrinterSettings)
    const address = (await found('#printer-address-80mm')) as HTMLInputElement
    expect(address.value).toBe('10.0.0.5:9100')
    expect((document.getElementById('printer-cups-a4') as HTMLSelectElement).value).toBe('Office')
    const options = [...document.querySelectorAll('#printer-cups-a4 option')].map((o) => o.textContent)
    expect(options).toEqual(['Choose…', "Office (computer's default)", 'Kitchen_Thermal'])
    // A4 cannot go to a network receipt printer.
    expect([...document.querySelectorAll('#printer-kind-a4 option')].map((o) => o.getAttribute('value'))).toEqual(['none', 'cups'])

    await fireEvent.change(document.getElementById('printer-kind-58mm')!, { target: { value: 'network' } })
    await fireEvent.input(await found('#printer-address-58mm'), { target: { value: '10.0.0.6' } })
    await fireEvent.change(document.getElementById('printer-default-format')!, { target: { value: '58mm' } })
    await fireEvent.input(document.getElementById('printer-top-message')!, { target: { value: 'Karibu!' } })
    await fireEvent.submit(document.getElementById('printer-settings')!)
    await found('#printer-settings-notice')
    expect(callsOf('receipt_settings_set')[0].change).toEqual({
      top_message: 'Karibu!',
      bottom_message: 'THANK YOU',
      default_format: '58mm',
      printer_80mm: 'net:10.0.0.5:9100',
      printer_58mm: 'net:10.0.0.6',
      printer_a4: 'cups:Office',
    })
  })

  it('prints a test on the printer in the form and reports the job id', async () => {
    commands({
      receipt_printers: () => PRINTERS,
      receipt_test_print: () => ({ destination: 'cups:Kitchen_Thermal', job_id: 'Kitchen_Thermal-41', warnings: [] }),
    })
    app.session = FINANCE_USER
    render(PrinterSettings)
    await found('#printer-table')
    // Not saved yet: the test uses what the form says.
    await fireEvent.change(document.getElementById('printer-kind-58mm')!, { target: { value: 'cups' } })
    await fireEvent.change(await found('#printer-cups-58mm'), { target: { value: 'Kitchen_Thermal' } })
    await fireEvent.click(document.getElementById('printer-test-58mm')!)
    const result = await found('#printer-test-result')
    expect(result.textContent).toContain('Sent a test receipt to Kitchen_Thermal (job Kitchen_Thermal-41).')
    expect(result.className).toContain('success')
    expect(callsOf('receipt_test_print')[0]).toEqual({ format: '58mm', printer: 'cups:Kitchen_Thermal' })
    // A finance user may print but not change the settings.
    expect(document.getElementById('printer-settings-save')).toBeNull()
    expect(document.getElementById('printer-settings-readonly')).not.toBeNull()
  })

  it('says what to fix when the test print fails', async () => {
    commands({
      receipt_printers: () => PRINTERS,
      receipt_test_print: () => {
        throw wireError('unavailable', 'The printer at 10.0.0.5:9100 reports: it is out of paper. Nothing was printed. Nothing was stored: this was only a test print.')
      },
    })
    app.session = ADMIN
    render(PrinterSettings)
    await fireEvent.click(await found('#printer-test-80mm'))
    const result = await found('#printer-test-result')
    expect(result.textContent).toContain('out of paper')
    expect(result.getAttribute('role')).toBe('alert')
    expect(callsOf('receipt_test_print')[0]).toEqual({ format: '80mm', printer: 'net:10.0.0.5:9100' })
    await waitFor(() => expect((document.getElementById('printer-test-80mm') as HTMLButtonElement).disabled).toBe(false))
  })

  it('lets an auditor look without changing or printing', async () => {
    commands({ receipt_printers: () => PRINTERS })
    app.session = AUDITOR
    render(PrinterSettings)
    await found('#printer-table')
    expect((document.getElementById('printer-kind-80mm') as HTMLSelectElement).disabled).toBe(true)
    expect(document.getElementById('printer-test-80mm')).toBeNull()
    expect(document.getElementById('printer-settings-save')).toBeNull()
  })
})
