import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { ConnectivityView, OutboxItemView, SessionInfo, SyncProgress } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { callsOf, commands, wireError } from '../test/tauri'
import SyncPage from './SyncPage.svelte'

const ACCOUNTANT: SessionInfo = {
  user_id: 'u-grace',
  email: 'accountant@demo.test',
  name: 'Grace Wanjiru',
  role: 'finance_user',
  permissions: ['sync_view', 'sync_manage'],
}
const AUDITOR: SessionInfo = { ...ACCOUNTANT, role: 'auditor', permissions: ['sync_view'] }

const DEAD: OutboxItemView = {
  id: 'o-1',
  seq: 1,
  target: 'etims',
  operation: 'saveTrnsSalesOsdc',
  idempotency_key: 'P051/00/INV-9',
  ordering_key: null,
  state: 'dead',
  attempts: 9,
  next_attempt_at: '2026-07-01T06:00:00.000Z',
  check_first: false,
  last_error_kind: 'permanent',
  last_error_message: '910: invalid PIN',
  remote_ref: null,
  created_at: '2026-07-01T05:00:00.000Z',
  updated_at: '2026-07-01T06:00:00.000Z',
  done_at: null,
}

const ONLINE: ConnectivityView = {
  overall: 'online',
  os: { state: 'online', source: 'proc_net_route', detail: 'default route via eth0' },
  targets: [{ target: 'etims', online: true }],
  worker: 'not_running',
}

const running: SyncProgress = { running: true, total: 4, done: 1, failed: 0, dead: 1, current: 'INV-10', offline: [] }

function mock(overrides: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  let dead = [DEAD]
  commands({
    sync_status: () => ({
      depth: [
        { target: 'etims', state: 'ready', count: 2 },
        { target: 'etims', state: 'dead', count: dead.length },
        { target: 'etims', state: 'done', count: 40 },
      ],
      oldest_ready_age_ms: 90_000,
      worker: 'not_running',
    }),
    sync_progress: () => running,
    sync_dead: () => dead,
    sync_connectivity: () => ONLINE,
    sync_retry: () => {
      dead = []
      return { ...DEAD, state: 'ready' }
    },
    sync_run_now: () => ({
      name: 'outbox_retries',
      status: 'ok',
      started_at: '2026-07-01T06:00:00.000Z',
      duration_ms: 12,
      error: null,
      result: { sent: 3, done: 2, failed: 1, dead: 0 },
      next_run_at: '2026-07-01T06:05:00.000Z',
    }),
    ...overrides,
  })
}

describe('SyncPage', () => {
  it('shows the queue per target, the progress bar, connectivity and dead items', async () => {
    mock()
    app.session = ACCOUNTANT
    render(SyncPage)
    await waitFor(() => expect(document.querySelector('#sync-targets tr[data-target="etims"]')).toBeTruthy())
    const cells = [...document.querySelectorAll('#sync-targets tr[data-target="etims"] td')].map((c) => c.textContent)
    expect(cells).toEqual(['KRA e-TIMS', '2', '0', '40', '1'])
    const bar = document.getElementById('sync-progress')!
    expect(bar.getAttribute('aria-valuemax')).toBe('4')
    expect(bar.getAttribute('aria-valuenow')).toBe('2')
    expect(bar.dataset.running).toBe('true')
    expect(document.getElementById('sync-progress-text')!.textContent).toContain('2 of 4 finished (now: INV-10)')
    await waitFor(() => expect(document.getElementById('sync-connectivity')!.dataset.state).toBe('online'))
    expect(document.getElementById('sync-connectivity')!.textContent).toContain('Online')
    expect(document.getElementById('sync-os-hint')!.textContent).toContain('KRA e-TIMS: online')
    expect(document.querySelector('#sync-dead tr[data-dead-id="o-1"]')!.textContent).toContain('910: invalid PIN')
  })

  it('retries a dead item and runs a sync now', async () => {
    mock()
    app.session = ACCOUNTANT
    render(SyncPage)
    await waitFor(() => expect(document.querySelector('button[data-retry="o-1"]')).toBeTruthy())
    await fireEvent.click(document.querySelector('button[data-retry="o-1"]')!)
    await waitFor(() => expect(document.querySelector('#sync-dead tr[data-dead-id="o-1"]')).toBeNull())
    expect(callsOf('sync_retry')).toEqual([{ id: 'o-1' }])
    expect(document.getElementById('sync-notice')!.textContent).toContain('queued again')

    await fireEvent.click(document.getElementById('sync-now')!)
    await waitFor(() => expect(document.getElementById('sync-notice')!.textContent).toContain('Sent 3: 2 done, 1 to retry later'))
    expect(callsOf('sync_run_now')).toHaveLength(1)
  })

  it('shows offline and hides the actions from someone who may only look', async () => {
    mock({
      sync_connectivity: () => ({ ...ONLINE, overall: 'offline', targets: [{ target: 'etims', online: false }] }),
      sync_progress: () => ({ ...running, running: false, total: 0, done: 0, dead: 0, offline: ['etims'] }),
    })
    app.session = AUDITOR
    render(SyncPage)
    await waitFor(() => expect(document.getElementById('sync-connectivity')!.dataset.state).toBe('offline'))
    expect(document.getElementById('sync-connectivity')!.textContent).toContain('Offline')
    await waitFor(() => expect(document.getElementById('sync-progress-text')!.textContent).toContain('Waiting for KRA e-TIMS'))
    expect(document.getElementById('sync-now')).toBeNull()
    expect(document.querySelector('button[data-retry]')).toBeNull()
  })

  it('says when queued items wait for a service the company has not set up', async () => {
    mock({
      sync_run_now: () => ({
        name: 'outbox_retries',
        status: 'ok',
        started_at: '2026-07-01T06:00:00.000Z',
        duration_ms: 3,
        error: null,
        result: { sent: 0, done: 0, failed: 0, dead: 0, no_client: 2 },
        next_run_at: '2026-07-01T06:05:00.000Z',
      }),
    })
    app.session = ACCOUNTANT
    render(SyncPage)
    await waitFor(() => expect(document.getElementById('sync-now')).toBeTruthy())
    await fireEvent.click(document.getElementById('sync-now')!)
    await waitFor(() => expect(document.getElementById('sync-notice')!.textContent).toContain('Sent 0'))
    expect(document.getElementById('sync-notice')!.textContent).toContain('2 waiting for a service this company has not set up')
  })

  it('shows the error when the sync fails', async () => {
    mock({
      sync_run_now: () => {
        throw wireError('permission_denied', 'Permission denied: you may not run the sync.')
      },
    })
    app.session = ACCOUNTANT
    render(SyncPage)
    await waitFor(() => expect(document.getElementById('sync-now')).toBeTruthy())
    await fireEvent.click(document.getElementById('sync-now')!)
    await waitFor(() => expect(document.body.textContent).toContain('you may not run the sync'))
  })

  it('never says nothing is queued when it could not read the queue', async () => {
    mock({
      sync_status: () => {
        throw wireError('storage', 'The company file could not be read or written (disk I/O error).')
      },
    })
    app.session = ACCOUNTANT
    render(SyncPage)
    await waitFor(() => expect(document.body.textContent).toContain('could not be read or written'))
    expect(document.getElementById('sync-targets-empty')!.textContent).toBe(
      'The queue could not be read (see the message above).',
    )
    expect(document.body.textContent).not.toContain('Nothing has been queued')
    expect(document.body.textContent).not.toContain('Nothing was given up on')
  })
})
