import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { save } from '@tauri-apps/plugin-dialog'
import { describe, expect, it, vi } from 'vitest'
import type { PrintRecord, PrinterList, ReceiptDetail, ReceiptRow } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { AUDITOR, EMPLOYEE, FINANCE_USER, callsOf, commands, wireError } from '../test/tauri'
import ReceiptsPage from './ReceiptsPage.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

function row(extra: Partial<ReceiptRow> = {}): ReceiptRow {
  return {
    document_id: 'd-1',
    number: 'INV-000012',
    doc_type: 'invoice',
    customer_name: 'Wanjiru Stores',
    customer_pin: 'P051111111A',
    issue_date: '2026-12-01',
    issued_at: '2026-12-01T06:00:00.000Z',
    currency: 'KES',
    total: '9860.00',
    status: 'signed',
    awaiting_seconds: null,
    kra_code: null,
    kra_message: null,
    cu_invoice_no: 'KRACU0100000001/152',
    signed_at: '2026-12-01T06:00:05.000Z',
    prints: 3,
    copies: 2,
    ...extra,
  }
}

const ROWS: ReceiptRow[] = [
  row(),
  row({ document_id: 'd-2', number: 'CS-000004', doc_type: 'cash_sale', status: 'awaiting', awaiting_seconds: 5 * 3600, cu_invoice_no: null, prints: 0, copies: 0 }),
  row({
    document_id: 'd-3',
    number: 'INV-000013',
    status: 'rejected',
    kra_code: '910',
    kra_message: 'Request parameter error: custTin is invalid',
    cu_invoice_no: null,
    prints: 0,
    copies: 0,
  }),
]

function print(seq: number, extra: Partial<PrintRecord> = {}): PrintRecord {
  return {
    id: `p${seq}`,
    document_id: 'd-1',
    seq,
    format: '80mm',
    kind: 'copy',
    copy_number: seq - 1,
    destination: 'cups:Office',
    job_id: `Office-${seq}`,
    content_sha256: 'ab',
    size_bytes: 1000,
    printed_at: '2026-12-01T07:00:00.000Z',
    printed_by: 'u-grace',
    printed_by_name: 'Grace Wanjiru',
    error_kind: null,
    error: null,
    ...extra,
  }
}

function detail(extra: Partial<ReceiptDetail> = {}): ReceiptDetail {
  return {
    row: row(),
    signature: {
      cu_invoice_no: 'KRACU0100000001/152',
      sdc_id: 'KRACU0100000001',
      mrc_no: 'WIS01000150',
      cur_rcpt_no: 152,
      tot_rcpt_no: 300,
      internal_data: 'GRKJ-VWYC-FBPT',
      receipt_signature: '1234-5678-9ODO-OGR3',
      sdc_date_time: '20261201090005',
      signed_at: '2026-12-01T06:00:05.000Z',
      adopted: false,
      qr_url: 'https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P051234567X00123456789ODOOGR3',
      pin: 'P051234567X',
      branch_id: '00',
    },
    stored: {
      stored_at: '2026-12-01T06:01:00.000Z',
      stored_by: 'Grace Wanjiru',
      snapshot_sha256: 'cd',
      renderer_version: 'hesabu-receipts 0.1.0',
      originals: [
        { format: '58mm', sha256: 'a', size_bytes: 1, rendered_at: '2026-12-01T06:01:00.000Z' },
        { format: '80mm', sha256: 'b', size_bytes: 1, rendered_at: '2026-12-01T06:01:00.000Z' },
        { format: 'a4', sha256: 'c', size_bytes: 1, rendered_at: '2026-12-01T06:01:00.000Z' },
      ],
    },
    prints: [
      print(3),
      print(2, { kind: 'copy', copy_number: null, job_id: null, destination: 'network:10.0.0.5:9100', error_kind: 'paper_out', error: 'The printer at 10.0.0.5:9100 reports: it is out of paper.' }),
      print(1, { kind: 'original', copy_number: null }),
    ],
    next_print: 'copy',
    kra_attempts: 1,
    ...extra,
  }
}

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

const READS = {
  receipts_list: () => ({ rows: ROWS, total: 3 }),
  receipt_show: () => detail(),
  receipt_printers: () => PRINTERS,
  receipt_preview: ({ format }: Record<string, unknown>) => ({
    number: 'INV-000012',
    format,
    kind: 'copy',
    text: `ACME TRADERS\n*** COPY ***\nCU INVOICE NO.: KRACU0100000001/152 CS\n(${String(format)})`,
  }),
}

describe('ReceiptsPage', () => {
  it('lists receipts with KRA status badges, the age of those awaiting and KRA’s message', async () => {
    commands(READS)
    app.session = FINANCE_USER
    render(ReceiptsPage)
    await found('#receipts-table tr[data-receipt-id="d-1"]')
    const badges = [...document.querySelectorAll('#receipts-table .receipt-status')].map((b) => [b.textContent, b.className])
    expect(badges.map(([t]) => t)).toEqual(['Signed by KRA', 'Awaiting KRA signature (5 h)', 'Rejected by KRA'])
    expect(badges[0][1]).toContain(' on')
    expect(badges[1][1]).toContain('warn')
    expect(badges[2][1]).toContain('bad')
    expect(document.querySelector('tr[data-receipt-id="d-3"] .receipt-kra')!.textContent).toContain('custTin is invalid')
    expect(document.querySelector('tr[data-receipt-id="d-1"] .receipt-prints')!.textContent).toContain('(2 copies)')
    expect(document.querySelector('tr[data-receipt-id="d-1"]')!.textContent).toContain('1 Dec 2026')
    expect(document.getElementById('receipts-more')).toBeNull()

    await fireEvent.input(document.getElementById('receipts-search')!, { target: { value: 'wanjiru' } })
    await fireEvent.change(document.getElementById('receipts-status')!, { target: { value: 'awaiting' } })
    await waitFor(() =>
      expect(callsOf('receipts_list').some((c) => (c.query as { search: string | null }).search === 'wanjiru')).toBe(true),
    )
    const last = callsOf('receipts_list').at(-1)!.query as Record<string, unknown>
    expect(last.status).toBe('awaiting')
    expect(last.limit).toBe(100)
  })

  it('opens a receipt from the keyboard with its signature, preview and print history', async () => {
    commands(READS)
    app.session = FINANCE_USER
    render(ReceiptsPage)
    const button = (await found('#receipts-table tr[data-receipt-id="d-1"] button')) as HTMLButtonElement
    await fireEvent.keyDown(button, { key: 'Enter' })
    const sig = await found('#receipt-signature')
    expect(sig.textContent).toContain('KRACU0100000001/152')
    expect(sig.textContent).toContain('1234-5678-9ODO-OGR3')
    expect(sig.textContent).toContain('Data=P051234567X00123456789ODOOGR3')
    const preview = await found('#receipt-preview')
    expect(preview.textContent).toContain('*** COPY ***')
    expect(callsOf('receipt_preview')[0]).toEqual({ key: 'd-1', format: '80mm', copy: false })
    // The next print is a copy: the button says so.
    expect(document.getElementById('receipt-print')!.textContent!.trim()).toBe('Reprint (copy)')
    const history = [...document.querySelectorAll('#receipt-prints tbody tr')].map((r) => r.textContent ?? '')
    expect(history[0]).toContain('Copy 2')
    expect(history[0]).toContain('Office (job Office-3)')
    expect(history[1]).toContain('Failed: The printer at 10.0.0.5:9100 reports: it is out of paper.')
    expect(history[1]).toContain('Receipt printer 10.0.0.5:9100')
    expect(history[2]).toContain('Original')
    // The printers: the format's printer from the settings first, then the computer's.
    const options = [...document.querySelectorAll('#receipt-printer option')].map((o) => o.textContent)
    expect(options).toEqual([
      'Set for 80mm: Receipt printer 10.0.0.5:9100',
      "Office (computer's default)",
      'Kitchen_Thermal',
      'Receipt printer 10.0.0.5:9100',
    ])

    // Another paper: the preview follows.
    await fireEvent.change(document.getElementById('receipt-format')!, { target: { value: 'a4' } })
    await waitFor(() => expect(document.getElementById('receipt-preview')!.textContent).toContain('(a4)'))

    // Escape goes back to the list.
    await fireEvent.keyDown(window, { key: 'Escape' })
    await found('#receipts-table')
  })

  it('prints on the chosen printer, then shows the result and the refreshed history', async () => {
    let printed = false
    commands({
      ...READS,
      receipt_show: () => (printed ? detail({ prints: [print(4), ...detail().prints] }) : detail()),
      receipt_print: () => {
        printed = true
        return { record: print(4), warnings: ['The printer reports that its paper roll is nearly used up. Put in a new paper roll soon.'] }
      },
    })
    app.session = FINANCE_USER
    render(ReceiptsPage)
    await fireEvent.click(await found('#receipts-table tr[data-receipt-id="d-1"]'))
    await found('#receipt-preview')
    await fireEvent.change(document.getElementById('receipt-printer')!, { target: { value: 'cups:Kitchen_Thermal' } })
    await fireEvent.click(document.getElementById('receipt-print')!)
    const notice = await found('#receipt-notice')
    expect(notice.textContent).toContain('Sent the copy 3 to Office (job Office-4).')
    expect(notice.textContent).toContain('nearly used up')
    expect(callsOf('receipt_print')[0]).toEqual({ key: 'd-1', request: { format: '80mm', printer: 'cups:Kitchen_Thermal', copy: false } })
    await waitFor(() => expect(document.querySelectorAll('#receipt-prints tbody tr')).toHaveLength(4))
  })

  it('says what went wrong when the printer fails, and keeps the receipt printable', async () => {
    commands({
      ...READS,
      receipt_print: () => {
        throw wireError(
          'unavailable',
          'The printer at 10.0.0.5:9100 reports: it is out of paper. Nothing was printed. Load a new paper roll and close the cover. The receipt stays stored in Hesabu; print it again from Receipts once this is fixed.',
        )
      },
    })
    app.session = FINANCE_USER
    render(ReceiptsPage)
    await fireEvent.click(await found('#receipts-table tr[data-receipt-id="d-1"]'))
    await found('#receipt-preview')
    await fireEvent.click(document.getElementById('receipt-print')!)
    const alert = await found('#receipt-action-error')
    expect(alert.textContent).toContain('out of paper')
    expect(alert.textContent).toContain('print it again')
    expect((document.getElementById('receipt-print') as HTMLButtonElement).disabled).toBe(false)
    expect(callsOf('receipt_show').length).toBeGreaterThanOrEqual(2)
  })

  it('saves the PDF where the user chose, in the chosen paper', async () => {
    vi.mocked(save).mockResolvedValueOnce('/home/grace/INV-000012.pdf')
    commands({
      ...READS,
      receipt_save_pdf: () => ({ record: print(4, { destination: 'file:/home/grace/INV-000012.pdf', format: 'a4', job_id: null }), warnings: [] }),
    })
    app.session = FINANCE_USER
    render(ReceiptsPage)
    await fireEvent.click(await found('#receipts-table tr[data-receipt-id="d-1"]'))
    await found('#receipt-preview')
    await fireEvent.change(document.getElementById('receipt-format')!, { target: { value: 'a4' } })
    await fireEvent.click(document.getElementById('receipt-save')!)
    const notice = await found('#receipt-notice')
    expect(notice.textContent).toContain('Saved the copy 3 as /home/grace/INV-000012.pdf.')
    expect(vi.mocked(save).mock.calls.at(-1)![0]).toMatchObject({ defaultPath: 'INV-000012 a4.pdf' })
    expect(callsOf('receipt_save_pdf')[0]).toEqual({ key: 'd-1', format: 'a4', copy: false, path: '/home/grace/INV-000012.pdf' })
  })

  it('explains an unsigned or rejected receipt and offers only the provisional print', async () => {
    commands({
      ...READS,
      receipt_show: () =>
        detail({
          row: ROWS[2],
          signature: null,
          stored: null,
          prints: [],
          next_print: 'provisional',
        }),
    })
    app.session = FINANCE_USER
    render(ReceiptsPage)
    await fireEvent.click(await found('#receipts-table tr[data-receipt-id="d-3"]'))
    const message = await found('#receipt-kra-message')
    expect(message.textContent).toContain('(code 910): Request parameter error: custTin is invalid')
    expect(message.textContent).toContain('THIS IS NOT AN OFFICIAL RECEIPT')
    expect(document.getElementById('receipt-signature')).toBeNull()
    expect(document.getElementById('receipt-next')!.textContent).toContain('Not signed by KRA')
    expect(document.getElementById('receipt-prints-empty')).not.toBeNull()
  })

  it('lets an auditor read receipts but not print them', async () => {
    commands(READS)
    app.session = AUDITOR
    render(ReceiptsPage)
    await fireEvent.click(await found('#receipts-table tr[data-receipt-id="d-1"]'))
    await found('#receipt-signature')
    expect(document.getElementById('receipt-print')).toBeNull()
    expect(document.getElementById('receipt-save')).toBeNull()
    expect(document.getElementById('receipt-next')!.textContent).toContain('not print them')
  })

  it('opens the receipt printers from the list', async () => {
    commands(READS)
    app.session = FINANCE_USER
    render(ReceiptsPage)
    await found('#receipts-table tr[data-receipt-id="d-1"]')
    expect(document.getElementById('printer-settings')).toBeNull()
    await fireEvent.click(document.getElementById('receipts-printers')!)
    expect((await found('#printer-address-80mm') as HTMLInputElement).value).toBe('10.0.0.5:9100')
    expect(document.getElementById('printer-test-80mm')).not.toBeNull()
    await fireEvent.click(document.getElementById('receipts-printers')!)
    await waitFor(() => expect(document.getElementById('printer-settings')).toBeNull())
  })

  it('is not offered to a role without sales, and calls nothing', () => {
    commands({})
    app.session = { ...EMPLOYEE, permissions: EMPLOYEE.permissions.filter((p) => p !== 'sales_view') }
    render(ReceiptsPage)
    expect(document.getElementById('receipts-not-allowed')).not.toBeNull()
    expect(callsOf('receipts_list')).toHaveLength(0)
  })
})
