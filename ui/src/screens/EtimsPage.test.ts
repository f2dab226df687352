import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { REJECTED, UNKNOWN, badge, device, deviceInfo, queueRow } from '../test/etims'
import { importsView, records } from '../test/etimsRecords'
import { ADMIN, AUDITOR, FINANCE_USER, callsOf, commands } from '../test/tauri'
import EtimsPage from './EtimsPage.svelte'

const ROWS = [
  queueRow(UNKNOWN, { send_status: 'running' }),
  queueRow(badge({ document_id: 's-2', document_number: 'INV-000013' }), { send_status: null }),
  queueRow({ ...REJECTED, document_id: 's-3', document_number: 'CS-000004' }, {
    doc_type: 'cash_sale',
    send_status: 'failed',
    send_error: 'KRA refused it (910).',
    retry_execution: 'ex-3',
  }),
]

const READS = {
  etims_queue: () => ROWS,
  etims_device: () => deviceInfo(device()),
}

describe('EtimsPage', () => {
  it('lists the sales waiting for KRA with their state, age and KRA’s message', async () => {
    commands(READS)
    app.session = FINANCE_USER
    render(EtimsPage)
    const unknown = await found('#etims-queue tr[data-queue-id="s-1"]')
    expect(unknown.querySelector('.fiscal-badge')!.textContent).toBe('Unknown — being checked at KRA (40 min)')
    expect(unknown.textContent).toContain('Sending · Sent, no answer yet')
    expect(unknown.textContent).toContain('2 attempts')
    expect(unknown.querySelector('[data-check]')).not.toBeNull()
    const rejected = document.querySelector('#etims-queue tr[data-queue-id="s-3"]')!
    expect(rejected.querySelector('.fiscal-kra-message')!.textContent).toContain('custTin is invalid')
    expect(rejected.textContent).toContain('Cash sale')
    expect(rejected.querySelector('[data-retry]')).not.toBeNull()
    expect(document.querySelector('tr[data-queue-id="s-2"] [data-send]')).not.toBeNull()
    expect(document.getElementById('etims-tab-queue')!.textContent!.trim()).toBe('Waiting for KRA (3)')
    expect(document.getElementById('etims-environment')!.textContent).toContain('Test system')
  })

  it('retries a send that gave up and runs the sync', async () => {
    commands({ ...READS, workflow_retry: () => ({}), sync_run_now: () => ({ status: 'completed', result: null, error: null }) })
    app.session = FINANCE_USER
    render(EtimsPage)
    await fireEvent.click(await found('tr[data-queue-id="s-3"] [data-retry]'))
    await found('#etims-notice')
    expect(callsOf('workflow_retry')[0]).toEqual({ id: 'ex-3' })
    expect(callsOf('sync_run_now')).toHaveLength(1)
    expect(document.getElementById('etims-notice')!.textContent).toContain('CS-000004 is queued again')
    await waitFor(() => expect(callsOf('etims_queue').length).toBeGreaterThanOrEqual(2))
  })

  it('queues a sale that was never sent', async () => {
    commands({ ...READS, etims_send: () => ({}), sync_run_now: () => ({ status: 'completed', result: null, error: null }) })
    app.session = FINANCE_USER
    render(EtimsPage)
    await fireEvent.click(await found('tr[data-queue-id="s-2"] [data-send]'))
    await found('#etims-notice')
    expect(callsOf('etims_send')[0]).toEqual({ key: 's-2' })
  })

  it('checks an unanswered number at KRA and says what it means', async () => {
    commands({
      ...READS,
      etims_lookup: () => ({
        invc_no: 8,
        found: true,
        kra_code: '000',
        kra_message: 'Successful',
        kra_document: 'INV-000012',
        kra_total: '125000.00',
        local_document: 'INV-000012',
        local_state: 'unknown',
        same_document: true,
      }),
    })
    app.session = AUDITOR
    render(EtimsPage)
    await fireEvent.click(await found('tr[data-queue-id="s-1"] [data-check]'))
    const result = await found('tr[data-lookup="s-1"]')
    expect(result.textContent).toContain('KRA has INV-000012 as invoice 8 (total 125,000.00)')
    expect(callsOf('etims_lookup')[0]).toEqual({ number: 8 })
    // An auditor looks; retrying and sending are not theirs.
    expect(document.querySelector('[data-retry]')).toBeNull()
    expect(document.querySelector('[data-send]')).toBeNull()
  })

  it('warns of counter drift when KRA holds another document under the number', async () => {
    commands({
      ...READS,
      etims_lookup: () => ({
        invc_no: 8,
        found: true,
        kra_code: '000',
        kra_message: 'Successful',
        kra_document: 'POS-991',
        kra_total: '10.00',
        local_document: 'INV-000012',
        local_state: 'unknown',
        same_document: false,
      }),
    })
    app.session = FINANCE_USER
    render(EtimsPage)
    await fireEvent.click(await found('tr[data-queue-id="s-1"] [data-check]'))
    const result = await found('tr[data-lookup="s-1"] .error')
    expect(result.textContent).toContain('POS-991')
    expect(result.textContent).toContain('eTIMS portal')
  })

  it('lets an administrator give up a number KRA holds as another document, with a reason', async () => {
    commands({
      ...READS,
      etims_lookup: () => ({
        invc_no: 8,
        found: true,
        kra_code: '000',
        kra_message: 'Successful',
        kra_document: 'POS-991',
        kra_total: '10.00',
        local_document: 'INV-000012',
        local_state: 'unknown',
        same_document: false,
      }),
      etims_give_up: () => ({ invc_no: 8, state: 'rejected', document_id: 's-1' }),
    })
    // A finance user sees the drift but may not give the number up.
    app.session = FINANCE_USER
    const first = render(EtimsPage)
    await fireEvent.click(await found('tr[data-queue-id="s-1"] [data-check]'))
    await found('tr[data-lookup="s-1"] .error')
    expect(document.querySelector('[data-give-up]')).toBeNull()
    first.unmount()

    app.session = ADMIN
    render(EtimsPage)
    await fireEvent.click(await found('tr[data-queue-id="s-1"] [data-check]'))
    await fireEvent.click(await found('tr[data-lookup="s-1"] [data-give-up]'))
    const form = await found('[data-give-up-form="s-1"]')
    // No reason: refused here, nothing sent.
    await fireEvent.submit(form)
    expect((await found('[data-give-up-form="s-1"] .error')).textContent).toContain('Say why')
    expect(callsOf('etims_give_up')).toHaveLength(0)
    const reason = document.querySelector('[data-give-up-reason="s-1"]') as HTMLInputElement
    await fireEvent.input(reason, { target: { value: 'Portal shows POS-991 from the old till' } })
    await fireEvent.submit(form)
    await found('#etims-notice')
    expect(callsOf('etims_give_up')[0]).toEqual({ key: 's-1', reason: 'Portal shows POS-991 from the old till' })
    expect(document.getElementById('etims-notice')!.textContent).toContain('gave up e-TIMS invoice 8')
  })

  it('shows the device, and lets an administrator set the counter', async () => {
    commands({ ...READS, etims_device_counter: ({ last }: Record<string, unknown>) => device({ last_invc_no: Number(last) }) })
    app.session = ADMIN
    render(EtimsPage)
    await found('#etims-queue')
    // The arrow keys move between the tabs.
    await fireEvent.keyDown(document.getElementById('etims-tab-queue')!, { key: 'ArrowRight' })
    const facts = await found('#etims-device-facts')
    expect(facts.textContent).toContain('Direct OSCU')
    expect(document.getElementById('etims-device-sdc')!.textContent).toBe('KRACU0100000001')
    expect(document.activeElement?.id).toBe('etims-tab-device')
    await fireEvent.click(document.getElementById('etims-counter-open')!)
    const input = (await found('#etims-counter')) as HTMLInputElement
    expect(input.value).toBe('152')
    await fireEvent.input(input, { target: { value: '-1' } })
    await fireEvent.submit(document.getElementById('etims-counter-form')!)
    expect((await found('#etims-counter-error')).textContent).toContain('whole number')
    await fireEvent.input(input, { target: { value: '160' } })
    await fireEvent.submit(document.getElementById('etims-counter-form')!)
    await waitFor(() => expect(document.getElementById('etims-device-counter')!.textContent).toBe('160'))
    expect(callsOf('etims_device_counter')[0]).toEqual({ last: 160 })
    expect(document.getElementById('etims-notice')!.textContent).toContain('e-TIMS invoice 161')
  })

  it('offers the set-up wizard to an administrator when there is no device', async () => {
    commands({ etims_queue: () => [], etims_device: () => deviceInfo(null) })
    app.session = ADMIN
    render(EtimsPage)
    await waitFor(() => expect(document.getElementById('etims-queue-empty')!.textContent).toContain('Nothing is waiting for KRA'))
    await fireEvent.click(document.getElementById('etims-tab-device')!)
    await found('#etims-no-device')
    await fireEvent.click(document.getElementById('etims-device-setup')!)
    await found('#device-wizard')
  })

  it('does not offer the device set-up to others, and says when no notice was downloaded', async () => {
    commands({ etims_queue: () => [], etims_device: () => deviceInfo(null), etims_notices: () => ({ notices: [], refreshed_at: null, last_error: null }) })
    app.session = { ...FINANCE_USER, permissions: FINANCE_USER.permissions.filter((p) => p !== 'sales_master_data') }
    render(EtimsPage)
    await fireEvent.click(await found('#etims-tab-device'))
    expect((await found('#etims-no-device')).textContent).toContain('An administrator sets it up')
    expect(document.getElementById('etims-device-setup')).toBeNull()
    await fireEvent.click(document.getElementById('etims-tab-notices')!)
    expect((await found('#etims-notices-empty')).textContent).toContain('No notices from KRA')
    expect(document.getElementById('etims-notices-state')!.textContent).toContain('Not downloaded from KRA yet')
    expect(document.getElementById('etims-notices-refresh')).toBeNull()
  })

  it('lists KRA’s notices and downloads them again', async () => {
    const NOTICE = {
      notice_no: 3,
      title: 'System maintenance',
      content: 'eTIMS will be unavailable on Saturday\nfrom 22:00.',
      url: 'https://etims.kra.go.ke/notice/3',
      registered_by: 'KRA',
      registered_at: '20261130090000',
      received_at: '2026-12-01T06:00:00.000Z',
    }
    commands({
      ...READS,
      etims_notices: () => ({ notices: [], refreshed_at: null, last_error: null }),
      etims_reference_refresh: () => ({ notices: [NOTICE], refreshed_at: '2026-12-01T06:00:00.000Z', last_error: null }),
    })
    app.session = FINANCE_USER
    render(EtimsPage)
    await found('#etims-queue')
    await fireEvent.click(document.getElementById('etims-tab-notices')!)
    await found('#etims-notices-empty')
    await fireEvent.click(document.getElementById('etims-notices-refresh')!)
    const item = await found('#etims-notice-list li[data-notice="3"]')
    expect(item.textContent).toContain('System maintenance')
    expect(item.textContent).toContain('30 Nov 2026, 09:00')
    expect(document.getElementById('etims-notice')!.textContent).toContain('1 notice')
    expect(document.getElementById('etims-notices-state')!.textContent).toContain('Downloaded from KRA 1 Dec 2026, 09:00')
    await fireEvent.click(item.querySelector('button')!)
    expect(item.querySelector('.notice-content')!.textContent).toContain('unavailable on Saturday')
  })

  it('mounts the KRA records, purchases, stock, compositions, insurers and imported items panels as tabs the keyboard reaches', async () => {
    commands({
      ...READS,
      etims_notices: () => ({ notices: [], refreshed_at: null, last_error: null }),
      etims_kra_records: () => records(),
      etims_branch_users: () => [],
      etims_compositions: () => [],
      etims_insurers: () => [],
      etims_imports: () => importsView([]),
      etims_purchases: () => ({ purchases: [], refreshed_at: null, last_error: null }),
      etims_stock_levels: () => [],
      items_list: () => [],
    })
    app.session = FINANCE_USER
    render(EtimsPage)
    await found('#etims-queue tr[data-queue-id="s-1"]')
    const tabs = [...document.querySelectorAll('#etims-page [role="tablist"][aria-label="KRA e-TIMS"] [role="tab"]')].map((t) => t.textContent!.trim())
    expect(tabs).toEqual(['Waiting for KRA (3)', 'Device', 'KRA notices', 'KRA’s records', 'Purchases', 'Stock', 'Compositions', 'Insurers', 'Imported items'])

    // End reaches the last panel; the arrow keys walk back through the others, the queue's tabs kept.
    await fireEvent.keyDown(document.getElementById('etims-tab-queue')!, { key: 'End' })
    expect(document.activeElement?.id).toBe('etims-tab-imports')
    await found('#etims-panel-imports #etims-imports')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    await found('#etims-insurers')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    await found('#etims-compositions')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    await found('#etims-panel-stock #etims-stock')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    await found('#etims-panel-purchases #etims-purchases')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    await found('#kra-reconciliation')
    expect(document.activeElement?.id).toBe('etims-tab-records')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowRight' })
    await fireEvent.keyDown(document.activeElement!, { key: 'Home' })
    expect(document.activeElement?.id).toBe('etims-tab-queue')
    await found('#etims-queue')
    // Wrapping from the queue leftwards lands on the last panel.
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    expect(document.activeElement?.id).toBe('etims-tab-imports')
  })

  it('tells the panels when there is no device, so they do not offer to ask KRA', async () => {
    commands({ etims_queue: () => [], etims_device: () => deviceInfo(null), etims_kra_records: () => records(), etims_branch_users: () => [] })
    app.session = FINANCE_USER
    render(EtimsPage)
    await found('#etims-queue')
    await waitFor(() => expect(callsOf('etims_device')).toHaveLength(1))
    await fireEvent.click(document.getElementById('etims-tab-records')!)
    await waitFor(() => expect((document.getElementById('kra-refresh-all') as HTMLButtonElement).disabled).toBe(true))
  })
})
