// The sale detail's KRA e-TIMS and QuickBooks blocks (the rest of the sale detail is tested in SalesPage.test.ts).
import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it, vi } from 'vitest'
import { found } from '../../test/dom'
import { SIGNED, UNKNOWN, badge } from '../../test/etims'
import { qboView } from '../../test/qbo'
import { ACCOUNTANT, AUDITOR, sale } from '../../test/sales'
import { callsOf, commands } from '../../test/tauri'
import { app } from '../session.svelte'
import SaleDetail from './SaleDetail.svelte'

const props = { id: 's-1', onedit: vi.fn(), oncredit: vi.fn(), onback: vi.fn() }
const CHECKLIST = {
  document_id: 's-1',
  document_number: 'INV-000012',
  ready: false,
  problems: [{ code: 'no_classification', message: 'Item SRV-001 has no KRA item classification code.', fix: '`hesabu item edit`' }],
}

describe('SaleDetail and KRA e-TIMS', () => {
  it('shows an issued sale awaiting KRA with its checklist, and sends it', async () => {
    let sent = false
    commands({
      sale_show: () => sale(),
      etims_status: () => (sent ? badge({ fiscal_state: 'reserved', invc_no: 9 }) : badge()),
      etims_checklist: () => CHECKLIST,
      etims_send: () => {
        sent = true
        return { status: 'pending', error_message: null }
      },
    })
    app.session = ACCOUNTANT
    render(SaleDetail, props)
    const status = await found('#sale-fiscal-status')
    expect(status.textContent).toContain('Awaiting KRA signature (5 h)')
    expect((await found('#pre-send-problems')).textContent).toContain('Sales › Items')
    await fireEvent.click(document.getElementById('sale-send-kra')!)
    expect((await found('#sale-kra-notice')).textContent).toContain('INV-000012 is queued for KRA')
    expect(callsOf('etims_send')[0]).toEqual({ key: 's-1' })
    // Queued with a number: no second "Send", but KRA can be asked about the number.
    await found('#sale-check-kra')
    expect(document.getElementById('sale-send-kra')).toBeNull()
  })

  it('checks a sale sent without an answer at KRA', async () => {
    commands({
      sale_show: () => sale(),
      etims_status: () => UNKNOWN,
      etims_lookup: () => ({ invc_no: 8, found: false, kra_code: '001', kra_message: 'There is no search result', kra_document: null, kra_total: null, local_document: 'INV-000012', local_state: 'unknown', same_document: null }),
    })
    app.session = AUDITOR
    render(SaleDetail, props)
    await fireEvent.click(await found('#sale-check-kra'))
    expect((await found('#sale-kra-notice')).textContent).toContain('KRA has no invoice 8 yet')
    expect(callsOf('etims_lookup')[0]).toEqual({ number: 8 })
    // Unknown: no checklist, and an auditor cannot send.
    expect(document.getElementById('pre-send-checklist')).toBeNull()
    expect(document.getElementById('sale-send-kra')).toBeNull()
  })

  it('shows the CU invoice number of a signed sale, and nothing to do', async () => {
    commands({ sale_show: () => sale({ status: 'fiscalised' }), etims_status: () => SIGNED })
    app.session = ACCOUNTANT
    render(SaleDetail, props)
    expect((await found('#sale-fiscal-status')).textContent).toContain('KRACU0100000001/152')
    expect(document.getElementById('pre-send-checklist')).toBeNull()
    expect(document.getElementById('sale-send-kra')).toBeNull()
    expect(document.getElementById('sale-check-kra')).toBeNull()
  })

  it('asks nothing of KRA for a draft', async () => {
    commands({ sale_show: () => sale({ status: 'draft', number: null }) })
    app.session = ACCOUNTANT
    render(SaleDetail, props)
    await found('#sale-lines-view')
    expect(callsOf('etims_status')).toHaveLength(0)
    expect(document.getElementById('sale-kra')).toBeNull()
  })
})

describe('SaleDetail and QuickBooks', () => {
  it('shows the QuickBooks transaction of a pulled sale and where its write-back is, and opens it', async () => {
    const link = 'https://app.qbo.intuit.com/app/invoice?txnId=130'
    commands({
      sale_show: () => sale({ status: 'fiscalised' }),
      etims_status: () => SIGNED,
      qbo_sale_status: () => qboView(),
      qbo_sale_open: () => link,
    })
    app.session = ACCOUNTANT
    render(SaleDetail, props)
    const block = await found('#sale-qbo')
    expect(block.getAttribute('data-stage')).toBe('done')
    expect(document.getElementById('sale-qbo-txn')!.textContent).toContain('Invoice 1037')
    expect(document.getElementById('sale-qbo-txn')!.textContent).toContain('Id 130')
    expect(document.getElementById('sale-qbo-stage')!.textContent).toBe('Attached and updated')
    expect(document.getElementById('sale-qbo-words')!.textContent).toContain('CU invoice number KRACU0100000001/152')
    expect(document.getElementById('sale-qbo-location')!.textContent).toContain('QuickBooks Online')
    expect(callsOf('qbo_sale_status')[0]).toEqual({ key: 's-1' })
    // The core opens its own link; the page only shows where it went.
    await fireEvent.click(document.getElementById('sale-qbo-open')!)
    expect((await found('#sale-qbo-opened')).textContent).toContain(link)
    expect(callsOf('qbo_sale_open')).toEqual([{ key: 's-1' }])
  })

  it("says the demo's local sandbox has no QuickBooks page, and what to do when the write-back failed", async () => {
    commands({
      sale_show: () => sale({ status: 'fiscalised' }),
      etims_status: () => SIGNED,
      qbo_sale_status: () =>
        qboView({
          stage: 'failed',
          link: null,
          local_sandbox: true,
          location: "The demo's local sandbox inside Hesabu (not Intuit's QuickBooks)",
          words: 'Failed: QuickBooks must be connected again for company 4620816365171234567.',
          fix: 'Connect QuickBooks again on the QuickBooks page, then retry the item on the Sync page.',
        }),
    })
    app.session = ACCOUNTANT
    render(SaleDetail, props)
    expect((await found('#sale-qbo-local')).textContent).toContain('local sandbox')
    expect(document.getElementById('sale-qbo-open')).toBeNull()
    expect(document.getElementById('sale-qbo-stage')!.textContent).toBe('Write-back failed')
    expect(document.getElementById('sale-qbo-fix')!.textContent).toContain('Connect QuickBooks again')
    expect(document.getElementById('sale-qbo-location')!.textContent).toContain("not Intuit's QuickBooks")
  })

  it('shows nothing of QuickBooks for a sale that did not come from it', async () => {
    commands({ sale_show: () => sale(), etims_status: () => badge(), etims_checklist: () => CHECKLIST, qbo_sale_status: () => null })
    app.session = ACCOUNTANT
    render(SaleDetail, props)
    await found('#sale-fiscal-status')
    await waitFor(() => expect(callsOf('qbo_sale_status')).toHaveLength(1))
    expect(document.getElementById('sale-qbo')).toBeNull()
  })
})
