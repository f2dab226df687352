import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../../lib/session.svelte'
import { found } from '../../test/dom'
import { listInfo, records } from '../../test/etimsRecords'
import { ADMIN, AUDITOR, FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import KraRecordsPanel from './KraRecordsPanel.svelte'

const USERS = [
  { email: 'admin@demo.test', name: 'Amina Odhiambo', role: 'admin', active: true, state: 'registered', registered_at: '2026-12-01T06:00:00Z', message: null, pending: false },
  { email: 'accountant@demo.test', name: 'Grace Wanjiru', role: 'finance_user', active: true, state: null, registered_at: null, message: null, pending: true },
]

describe('KraRecordsPanel', () => {
  it('lists each of KRA’s lists with when it was fetched, and highlights the sales that differ in words', async () => {
    commands({
      etims_kra_records: () => records({ lists: [listInfo('sales'), listInfo('customers', { refreshed_at: null, records: 0, last_error: 'KRA did not answer' })] }),
    })
    app.session = AUDITOR
    render(KraRecordsPanel)
    const sales = await found('#kra-lists tr[data-list="sales"]')
    expect(sales.textContent).toContain('KRA’s record of our sales')
    expect(sales.textContent).toContain('Fetched from KRA')
    const customers = document.querySelector('#kra-lists tr[data-list="customers"]')!
    expect(customers.textContent).toContain('Not fetched from KRA yet')
    expect(customers.textContent).toContain('The last fetch failed: KRA did not answer')

    expect(document.getElementById('kra-reconciliation-summary')!.textContent).toContain('1 sale differs')
    const d = document.querySelector('#kra-differences [data-difference="152"]')!
    expect(d.textContent).toContain('KRA holds different figures')
    expect(d.textContent).toContain('KES 116.00')
    expect(d.textContent).not.toContain('hesabu')
    expect(document.querySelector('#kra-sales tr[data-sale="152"]')!.classList).toContain('differs')
    expect(document.querySelector('#kra-sales tr[data-sale="151"]')!.classList).not.toContain('differs')
    // An auditor reads; fetching from KRA and registering users are not theirs.
    expect(document.getElementById('kra-refresh-all')).toBeNull()
    expect(document.querySelector('[data-refresh]')).toBeNull()
  })

  it('fetches every list one after the other, showing which, then reads the records again', async () => {
    let release: () => void = () => {}
    const first = new Promise<void>((r) => (release = r))
    commands({
      etims_kra_records: () => records(),
      etims_branch_users: () => USERS,
      etims_kra_refresh: async ({ list }: Record<string, unknown>) => {
        if (list === 'taxpayer') await first
        return [{ list, received: list === 'sales' ? 3 : 0, error: list === 'items' ? 'KRA is busy' : null }]
      },
    })
    app.session = FINANCE_USER
    render(KraRecordsPanel)
    await fireEvent.click(await found('#kra-refresh-all'))
    const progress = await found('#kra-refresh-progress')
    expect(progress.textContent).toContain('Fetching Taxpayer (1 of 6)')
    expect((document.getElementById('kra-refresh-all') as HTMLButtonElement).disabled).toBe(true)
    release()
    await found('#kra-records-notice')
    expect(callsOf('etims_kra_refresh').map((c) => c.list)).toEqual(['taxpayer', 'branches', 'sales', 'items', 'imports', 'customers'])
    expect(document.getElementById('kra-records-notice')!.textContent).toContain('3 new or changed records')
    expect(document.getElementById('kra-records-error')!.textContent).toContain('Items registered at KRA: KRA is busy')
    expect(document.getElementById('kra-refresh-progress')).toBeNull()
    await waitFor(() => expect(callsOf('etims_kra_records').length).toBe(2))
  })

  it('refreshes one list and says why KRA could not be asked', async () => {
    commands({
      etims_kra_records: () => records(),
      etims_branch_users: () => USERS,
      etims_kra_refresh: () => {
        throw wireError('conflict', 'This company has no e-TIMS device yet, so KRA cannot be asked.')
      },
    })
    app.session = FINANCE_USER
    render(KraRecordsPanel)
    await fireEvent.click(await found('[data-refresh="branches"]'))
    expect((await found('#kra-records-error')).textContent).toContain('no e-TIMS device')
    expect(callsOf('etims_kra_refresh')).toEqual([{ list: 'branches' }])
  })

  it('moves between the sections with the arrow keys and shows the branch users to those who manage them', async () => {
    commands({
      etims_kra_records: () => records(),
      etims_branch_users: () => USERS,
      etims_branch_users_register: () => ({ queued: ['accountant@demo.test'], up_to_date: 1 }),
    })
    app.session = ADMIN
    render(KraRecordsPanel)
    const sales = await found('#kra-section-sales')
    await fireEvent.keyDown(sales, { key: 'ArrowRight' })
    expect(document.activeElement?.id).toBe('kra-section-taxpayer')
    expect((await found('#kra-taxpayer')).textContent).toContain('SAVANNAH TRADERS LTD')
    expect(document.querySelector('#kra-branches tr[data-branch="00"]')!.textContent).toContain('This company’s device')
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' })
    expect(document.activeElement?.id).toBe('kra-section-users')
    const grace = await found('#kra-branch-users tr[data-branch-user="accountant@demo.test"]')
    expect(grace.textContent).toContain('Not registered at KRA')
    await fireEvent.click(document.getElementById('kra-users-register')!)
    expect((await found('#kra-records-notice')).textContent).toContain('1 user is queued for KRA')
  })

  it('hides the branch users from those who may not see users', async () => {
    commands({ etims_kra_records: () => records() })
    app.session = { ...FINANCE_USER, permissions: FINANCE_USER.permissions.filter((p) => p !== 'user_view') }
    render(KraRecordsPanel)
    await found('#kra-section-sales')
    expect(document.getElementById('kra-section-users')).toBeNull()
    expect(callsOf('etims_branch_users')).toHaveLength(0)
  })
})
