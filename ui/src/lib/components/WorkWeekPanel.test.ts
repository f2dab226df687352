import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { SessionInfo, WorkWeekView } from '../bindings'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { ADMIN, callsOf, commands, wireError } from '../../test/tauri'
import WorkWeekPanel from './WorkWeekPanel.svelte'

const WEEK: WorkWeekView = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '17:00',
  hours_per_week: '45',
  time_zone: 'Africa/Nairobi',
}

describe('WorkWeekPanel', () => {
  it('shows the work week and saves a change; the core refusal shows inline', async () => {
    let refuse = true
    commands({
      work_week_get: () => WEEK,
      work_week_set: ({ change }) => {
        if (refuse) throw wireError('invalid_input', 'The working day starts at 13:00 but ends at 12:00: the end must be after the start.')
        const c = change as { days: string[]; start: string; end: string }
        return { ...WEEK, ...c, hours_per_week: '30' }
      },
    })
    app.session = { ...ADMIN, permissions: [...ADMIN.permissions, 'company_edit'] }
    render(WorkWeekPanel)
    await waitFor(() => expect(document.querySelector<HTMLInputElement>('input[data-work-day="fri"]')!.checked).toBe(true))
    expect(document.querySelector<HTMLInputElement>('input[data-work-day="sat"]')!.checked).toBe(false)
    expect(document.getElementById('work-week-form')!.textContent).toContain('45 hours a week')

    await fireEvent.click(document.querySelector('input[data-work-day="sat"]')!)
    await fireEvent.click(document.querySelector('input[data-work-day="mon"]')!)
    await fireEvent.input(document.getElementById('work-week-end')!, { target: { value: '13:00' } })
    await fireEvent.click(document.getElementById('work-week-save')!)
    expect((await found('#work-week-error')).textContent).toContain('the end must be after the start')

    refuse = false
    await fireEvent.click(document.getElementById('work-week-save')!)
    await waitFor(() => expect(document.getElementById('work-week-notice')!.textContent).toContain('30 business hours'))
    expect(callsOf('work_week_set')[1]).toEqual({
      change: { days: ['tue', 'wed', 'thu', 'fri', 'sat'], start: '08:00', end: '13:00' },
    })
  })

  it('is read-only without company_edit', async () => {
    commands({ work_week_get: () => WEEK })
    const viewer: SessionInfo = { ...ADMIN, permissions: ['company_view'] }
    app.session = viewer
    render(WorkWeekPanel)
    await waitFor(() => expect(document.querySelector<HTMLInputElement>('input[data-work-day="mon"]')!.checked).toBe(true))
    expect(document.getElementById('work-week-save')).toBeNull()
    expect(document.querySelector<HTMLInputElement>('#work-week-start')!.disabled).toBe(true)
  })
})
