import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it, vi } from 'vitest'
import type { NotificationView } from '../bindings'
import { app } from '../session.svelte'
import { ADMIN, callsOf, commands } from '../../test/tauri'
import NotificationBell from './NotificationBell.svelte'

const ITEMS: NotificationView[] = [
  {
    id: 'n2',
    kind: 'approval_request',
    audience: 'personal',
    severity: 'info',
    document_id: 'd1',
    entity_type: null,
    entity_id: null,
    message: 'PO-000003 Printer toner is waiting for your approval.',
    created_at: '2026-03-02T08:00:00Z',
    read: false,
  },
  {
    id: 'n1',
    kind: 'decision',
    audience: 'personal',
    severity: 'info',
    document_id: 'd0',
    entity_type: null,
    entity_id: null,
    message: 'PO-000001 was approved.',
    created_at: '2026-03-01T08:00:00Z',
    read: true,
  },
]

describe('NotificationBell', () => {
  it('shows the unread count, lists notifications on open and marks the unread ones read', async () => {
    let unread = 1
    commands({
      notifications_unread_count: () => unread,
      notifications_list: () => ITEMS,
      notifications_mark_read: (args) => {
        unread = 0
        return (args.ids as string[]).length
      },
    })
    app.signedIn(ADMIN)
    render(NotificationBell)
    const bell = document.getElementById('notification-bell')!
    await waitFor(() => expect(bell.querySelector('.badge')!.textContent).toBe('1'))
    expect(document.getElementById('notifications')).toBeNull()

    await fireEvent.click(bell)
    await waitFor(() => expect(document.querySelectorAll('#notifications .notification')).toHaveLength(2))
    const first = document.querySelector('.notification[data-id="n2"]')!
    expect(first.textContent).toContain('Printer toner')
    expect(first.textContent).toContain('Approval request')
    await waitFor(() => expect(callsOf('notifications_mark_read')).toEqual([{ ids: ['n2'] }]))
    await waitFor(() => expect(bell.querySelector('.badge')!.textContent).toBe('0'))

    await fireEvent.click(bell)
    expect(document.getElementById('notifications')).toBeNull()
  })

  it('shows a sync notice beside the personal ones, labelled and marked as an error', async () => {
    const sync: NotificationView = {
      id: 'n3',
      kind: 'outbox.dead',
      audience: 'sync',
      severity: 'error',
      document_id: null,
      entity_type: 'outbox',
      entity_id: 'o1',
      message: 'Could not send saveTrnsSalesOsdc to etims: rejected',
      created_at: '2026-03-03T08:00:00Z',
      read: false,
    }
    commands({
      notifications_unread_count: () => 2,
      notifications_list: () => [sync, ...ITEMS],
      notifications_mark_read: (args) => (args.ids as string[]).length,
    })
    app.signedIn(ADMIN)
    render(NotificationBell)
    await fireEvent.click(document.getElementById('notification-bell')!)
    await waitFor(() => expect(document.querySelectorAll('#notifications .notification')).toHaveLength(3))
    const notice = document.querySelector('.notification[data-id="n3"]')!
    expect(notice.textContent).toContain('Could not send')
    expect(notice.getAttribute('data-audience')).toBe('sync')
    expect(notice.classList.contains('error')).toBe(true)
    await waitFor(() => expect(callsOf('notifications_mark_read')).toEqual([{ ids: ['n3', 'n2'] }]))
  })

  it('polls the count and keeps working when a poll fails', async () => {
    vi.useFakeTimers()
    try {
      let calls = 0
      commands({
        notifications_unread_count: () => {
          calls += 1
          if (calls === 2) throw { kind: 'storage', message: 'busy' }
          return calls
        },
      })
      app.signedIn(ADMIN)
      render(NotificationBell, { pollMs: 1000 })
      await vi.advanceTimersByTimeAsync(0)
      const badge = () => document.querySelector('#notification-bell .badge')!.textContent
      expect(badge()).toBe('1')
      await vi.advanceTimersByTimeAsync(1000)
      expect(badge()).toBe('1')
      await vi.advanceTimersByTimeAsync(1000)
      expect(badge()).toBe('3')
    } finally {
      vi.useRealTimers()
    }
  })

  it('shows an error inline when the list cannot be loaded', async () => {
    commands({
      notifications_unread_count: () => 0,
      notifications_list: () => {
        throw { kind: 'storage', message: 'The company file is busy.' }
      },
    })
    app.signedIn(ADMIN)
    render(NotificationBell)
    await fireEvent.click(document.getElementById('notification-bell')!)
    await waitFor(() =>
      expect(document.querySelector('#notifications [role="alert"]')!.textContent).toContain('busy'),
    )
  })
})
