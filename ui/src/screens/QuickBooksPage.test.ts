import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ConnectionView, PullProgress, PullReport, ReviewRow } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { ADMIN, AUDITOR, FINANCE_USER, callsOf, commands, emitEvent, wireError } from '../test/tauri'
import QuickBooksPage from './QuickBooksPage.svelte'

function view(extra: Partial<ConnectionView> = {}): ConnectionView {
  return {
    mode: 'paste',
    realm_id: '4620816365171234567',
    sandbox: true,
    api_base: 'http://127.0.0.1:8471',
    connected: true,
    connected_at: '2026-07-01T06:00:00.000Z',
    cu_field: '1',
    pin_source: 'tax_id',
    cdc_watermark: '2026-07-01T09:00:00+03:00',
    last_pull_at: '2026-07-01T06:05:00.000Z',
    last_full_sync_at: '2026-07-01T06:05:00.000Z',
    last_error: null,
    reconnect_needed: null,
    warning: null,
    open_reviews: 1,
    local_sandbox: false,
    notice: null,
    ...extra,
  }
}

const REVIEW: ReviewRow = {
  id: 'r-1',
  entity: 'Invoice',
  qbo_id: '130',
  document_id: 'd-1',
  kind: 'changed_after_signing',
  detail:
    'Invoice 1037 changed in QuickBooks (lines or totals) after KRA signed it as INV-000012. It is not signed again: raise a credit note against INV-000012 and issue the corrected sale.',
  created_at: '2026-07-01T06:10:00.000Z',
}

const REPORT: PullReport = {
  mode: 'cdc',
  objects: 4,
  customers: 1,
  items: 0,
  sales_issued: 2,
  unchanged: 1,
  echoes: 0,
  voided: 0,
  deleted: 0,
  reviews: 1,
  truncated_windows: 0,
  pushes_queued: 1,
  watermark: '2026-07-01T09:10:00+03:00',
  warnings: ['Customer 58 has no valid KRA PIN; it was imported without one.'],
}

afterEach(() => vi.restoreAllMocks())

describe('QuickBooksPage', () => {
  it('shows the connection, the last pull and the reviews in words', async () => {
    commands({ qbo_status: () => view(), qbo_reviews: () => [REVIEW] })
    app.session = FINANCE_USER
    render(QuickBooksPage)
    expect((await found('#qbo-connection')).textContent).toContain('Connected to company 4620816365171234567')
    expect(document.getElementById('qbo-mode')!.textContent).toContain('Paste-back')
    expect(document.getElementById('qbo-last-pull')!.textContent).not.toBe('Never')
    const row = await found('tr[data-review="changed_after_signing"]')
    expect(row.textContent).toContain('Changed after KRA signed it')
    expect(row.textContent).toContain('raise a credit note against INV-000012')
    // A finance user pulls but neither sets up nor disconnects.
    expect(document.getElementById('qbo-pull')).not.toBeNull()
    expect(document.getElementById('qbo-disconnect')).toBeNull()
    expect(document.getElementById('qbo-setup')).toBeNull()
    expect(document.getElementById('qbo-connect')).toBeNull()
  })

  it('warns about reconnecting and the refresh token expiring', async () => {
    const warning = 'The QuickBooks connection stops working on 2026-07-20: connect again before then.'
    commands({
      qbo_status: () => view({ connected: false, reconnect_needed: 'invalid_grant', warning }),
      qbo_reviews: () => [],
    })
    app.session = ADMIN
    render(QuickBooksPage)
    expect((await found('#qbo-connection')).textContent).toBe('Reconnect needed')
    expect(document.getElementById('qbo-reconnect')!.textContent).toContain('invalid_grant')
    expect(document.getElementById('qbo-warning')!.textContent).toBe(warning)
    // The administrator is offered to connect again, and no pull on a dead connection.
    expect(document.querySelector('#qbo-connect h2')!.textContent).toBe('Connect again')
    expect(document.getElementById('qbo-pull')).toBeNull()
    expect(document.getElementById('qbo-reviews-empty')!.textContent).toContain('Nothing to review')
  })

  it('connects by paste-back: opens the consent page, then sends the pasted address', async () => {
    const consent = 'http://127.0.0.1:8471/connect/oauth2?client_id=x&state=abc'
    let connected = false
    commands({
      qbo_status: () => view({ realm_id: null, connected: false, connected_at: null }),
      qbo_reviews: () => [],
      qbo_authorize_url: () => consent,
      qbo_connect_paste: () => {
        connected = true
        return view()
      },
    })
    app.session = ADMIN
    render(QuickBooksPage)
    const connect = await found<HTMLButtonElement>('#qbo-connect-button')
    expect(connect.disabled).toBe(true)
    await fireEvent.click(await found('#qbo-open-consent'))
    expect(callsOf('qbo_authorize_url')).toEqual([{ open: true }])
    expect((await found<HTMLInputElement>('#qbo-authorize-url')).value).toBe(consent)
    // An empty paste is caught here.
    await fireEvent.submit(document.getElementById('qbo-paste-form')!)
    expect(document.body.textContent).toContain('Paste the whole address')
    expect(connected).toBe(false)
    const pasted = 'https://connect.example.com/qbo/callback?code=c1&state=abc&realmId=4620816365171234567'
    await fireEvent.input(document.getElementById('qbo-pasted')!, { target: { value: `  ${pasted} ` } })
    await fireEvent.submit(document.getElementById('qbo-paste-form')!)
    await waitFor(() => expect(callsOf('qbo_connect_paste')).toEqual([{ pasted }]))
    expect((await found('#qbo-notice')).textContent).toContain('Connected to QuickBooks company 4620816365171234567')
    expect(document.getElementById('qbo-connect')).toBeNull()
  })

  it('shows a refused paste (a foreign state) as the core says it', async () => {
    commands({
      qbo_status: () => view({ realm_id: null, connected: false }),
      qbo_reviews: () => [],
      qbo_authorize_url: () => 'http://x/connect/oauth2',
      qbo_connect_paste: () => {
        throw wireError('invalid_input', 'This answer belongs to a different connection attempt: start again.')
      },
    })
    app.session = ADMIN
    render(QuickBooksPage)
    await fireEvent.click(await found('#qbo-open-consent'))
    await found('#qbo-authorize-url')
    await fireEvent.input(document.getElementById('qbo-pasted')!, { target: { value: 'https://x/cb?code=1&state=2&realmId=3' } })
    await fireEvent.submit(document.getElementById('qbo-paste-form')!)
    await waitFor(() => expect(document.body.textContent).toContain('different connection attempt'))
  })

  it('pulls now and says what came in', async () => {
    let pulled = false
    commands({
      qbo_status: () => view({ open_reviews: pulled ? 1 : 0 }),
      qbo_reviews: () => (pulled ? [REVIEW] : []),
      qbo_pull: () => {
        pulled = true
        return REPORT
      },
    })
    app.session = FINANCE_USER
    render(QuickBooksPage)
    await fireEvent.click(await found('#qbo-pull'))
    const result = await found('#qbo-pull-result')
    expect(callsOf('qbo_pull')).toEqual([{ full: false }])
    expect(result.textContent).toContain('Pulled the changes: 4 object(s)')
    expect(result.textContent).toContain('2 sale(s) issued')
    expect(result.textContent).toContain('1 new difference(s) to review')
    expect(result.textContent).toContain('written back to QuickBooks with the next sync')
    expect(result.textContent).toContain('no valid KRA PIN')
    await found('tr[data-review="changed_after_signing"]')
  })

  it('hides pulling from someone who may only look', async () => {
    commands({ qbo_status: () => view(), qbo_reviews: () => [] })
    app.session = AUDITOR
    render(QuickBooksPage)
    await found('#qbo-connection')
    expect(document.getElementById('qbo-pull')).toBeNull()
    expect(document.getElementById('qbo-disconnect')).toBeNull()
  })

  it('sets QuickBooks up: the secret only outside broker mode, never kept in the form', async () => {
    commands({ qbo_status: () => null, qbo_reviews: () => [], qbo_configure: () => view({ realm_id: null, connected: false }) })
    app.session = ADMIN
    render(QuickBooksPage)
    expect((await found('#qbo-not-set-up')).textContent).toContain('Not set up')
    const form = document.getElementById('qbo-setup-form')!
    // Required fields are checked before calling the core.
    await fireEvent.submit(form)
    expect(document.body.textContent).toContain("Intuit app's client id")
    expect(callsOf('qbo_configure')).toEqual([])
    await fireEvent.input(document.getElementById('qbo-setup-client-id')!, { target: { value: 'ABc123' } })
    await fireEvent.input(document.getElementById('qbo-setup-secret')!, { target: { value: 's3cret' } })
    await fireEvent.input(document.getElementById('qbo-setup-redirect')!, { target: { value: 'https://firm.example/qbo' } })
    await fireEvent.change(document.getElementById('qbo-setup-cu-field')!, { target: { value: '2' } })
    await fireEvent.input(document.getElementById('qbo-setup-pin-field')!, { target: { value: 'KRA PIN' } })
    await fireEvent.submit(form)
    await waitFor(() => expect(callsOf('qbo_configure')).toHaveLength(1))
    expect(callsOf('qbo_configure')[0]).toEqual({
      settings: {
        mode: 'paste',
        client_id: 'ABc123',
        broker_url: null,
        redirect_uri: 'https://firm.example/qbo',
        base_url: null,
        sandbox: false,
        cu_field: '2',
        pin_source: { field: 'KRA PIN' },
      },
      secret: 's3cret',
    })
    await found('#qbo-connect')
    expect((document.getElementById('qbo-setup-secret') as HTMLInputElement).value).toBe('')

    // Broker mode: no secret field, the broker's address instead.
    await fireEvent.change(document.getElementById('qbo-setup-mode')!, { target: { value: 'broker' } })
    expect(document.getElementById('qbo-setup-secret')).toBeNull()
    await fireEvent.input(await found('#qbo-setup-broker'), { target: { value: 'https://broker.firm.example' } })
    await fireEvent.submit(form)
    await waitFor(() => expect(callsOf('qbo_configure')).toHaveLength(2))
    const second = callsOf('qbo_configure')[1] as { settings: { mode: string; broker_url: string }; secret: unknown }
    expect(second.settings.mode).toBe('broker')
    expect(second.settings.broker_url).toBe('https://broker.firm.example')
    expect(second.secret).toBeNull()
  })

  it('disconnects, and offers to wipe anyway when QuickBooks cannot be reached', async () => {
    vi.spyOn(window, 'confirm').mockReturnValue(true)
    let reachable = false
    commands({
      qbo_status: () => view(),
      qbo_reviews: () => [],
      qbo_disconnect: (args) => {
        if (!reachable && args.force !== true) {
          throw wireError('conflict', 'QuickBooks could not be told to disconnect (offline). Nothing was wiped.')
        }
        return view({ realm_id: null, connected: false, connected_at: null })
      },
    })
    app.session = ADMIN
    render(QuickBooksPage)
    await fireEvent.click(await found('#qbo-disconnect'))
    await waitFor(() => expect(document.body.textContent).toContain('Nothing was wiped'))
    await fireEvent.click(await found('#qbo-disconnect-force'))
    await waitFor(() => expect(callsOf('qbo_disconnect')).toEqual([{ force: false }, { force: true }]))
    expect((await found('#qbo-notice')).textContent).toContain('Disconnected from QuickBooks')
    expect(document.getElementById('qbo-connection')!.textContent).toBe('Not connected')
    reachable = true
  })

  it("shows a running pull's progress list by list, then the summary", async () => {
    let finish: (report: PullReport) => void = () => undefined
    commands({
      qbo_status: () => view(),
      qbo_reviews: () => [],
      qbo_pull: () => new Promise<PullReport>((resolve) => (finish = resolve)),
    })
    app.session = FINANCE_USER
    render(QuickBooksPage)
    await fireEvent.click(await found('#qbo-pull'))
    const bar = await found('#qbo-pull-progress')
    // Before the first report: a moving bar and no count.
    expect(bar.querySelector('.indeterminate')).not.toBeNull()
    const at = (p: Partial<PullProgress>): PullProgress => ({
      step: 'Reading invoices',
      steps_done: 5,
      steps_total: 9,
      pages: 6,
      objects: 1200,
      finished: false,
      ...p,
    })
    emitEvent('qbo-pull-progress', at({}))
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('56'))
    expect((bar.querySelector('.progress-fill') as HTMLElement).style.width).toBe('56%')
    expect(document.getElementById('qbo-pull-progress-text')!.textContent).toContain(
      'Reading invoices — step 6 of 9; 6 page(s), 1200 record(s) read so far.',
    )
    emitEvent('qbo-pull-progress', at({ step: 'Saving into the ledger', steps_done: 8 }))
    await waitFor(() => expect(document.getElementById('qbo-pull-progress-text')!.textContent).toContain('Saving into the ledger — step 9 of 9'))
    finish(REPORT)
    await found('#qbo-pull-result')
    // The bar goes with the pull, and a late report does not bring it back.
    await waitFor(() => expect(document.getElementById('qbo-pull-progress')).toBeNull())
    emitEvent('qbo-pull-progress', at({ finished: true, steps_done: 9 }))
    expect(document.getElementById('qbo-pull-progress')).toBeNull()
  })

  it("says plainly that the demo's QuickBooks is a local sandbox, not Intuit's", async () => {
    const notice =
      "Demo company: this QuickBooks is a local sandbox running inside Hesabu (a test double of QuickBooks Online), not Intuit's QuickBooks."
    commands({
      qbo_status: () => view({ local_sandbox: true, notice, api_base: 'http://127.0.0.1:40123' }),
      qbo_reviews: () => [],
    })
    app.session = ADMIN
    render(QuickBooksPage)
    expect((await found('#qbo-local-sandbox')).textContent).toContain("not Intuit's QuickBooks")
    const where = document.getElementById('qbo-where')!.textContent!
    expect(where).toContain('Local sandbox inside Hesabu')
    expect(where).not.toContain('127.0.0.1')
  })
})
