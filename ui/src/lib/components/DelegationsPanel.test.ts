import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import ApprovalsPage from '../../screens/ApprovalsPage.svelte'
import type { DelegationView, SessionInfo, UserView } from '../bindings'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { callsOf, commands } from '../../test/tauri'

const MANAGER: SessionInfo = {
  user_id: 'u-john',
  email: 'ops.manager@demo.test',
  name: 'John Mwangi',
  role: 'approver',
  permissions: ['company_view', 'user_view', 'department_view', 'document_create', 'approval_act', 'delegation_manage'],
}

function user(email: string, name: string, active = true): UserView {
  return {
    id: `u-${email}`,
    email,
    name,
    role: 'approver',
    manager_email: null,
    manager_name: null,
    department: null,
    active,
    created_at: '2026-01-05T08:00:00Z',
  }
}

const USERS = [
  user('ops.manager@demo.test', 'John Mwangi'),
  user('jane@demo.test', 'Jane Achieng'),
  user('gone@demo.test', 'Gone Person', false),
]

function delegation(id: string, extra: Partial<DelegationView> = {}): DelegationView {
  return {
    id,
    delegator_email: 'ops.manager@demo.test',
    delegator_name: 'John Mwangi',
    delegate_email: 'jane@demo.test',
    delegate_name: 'Jane Achieng',
    valid_from: '2026-03-01T21:00:00Z',
    valid_until: '2026-03-10T21:00:00Z',
    doc_types: null,
    departments: null,
    max_amount: null,
    revoked_at: null,
    state: 'active',
    rerouted_steps: 0,
    ...extra,
  }
}

async function openTab() {
  app.signedIn(MANAGER, 'approvals')
  render(ApprovalsPage)
  await fireEvent.click(await found('#tab-delegations'))
}

describe('Delegations tab', () => {
  it('lists my delegations, adds one with a scope and revokes one', async () => {
    let rows = [delegation('d1'), delegation('d0', { state: 'revoked', revoked_at: '2026-02-01T08:00:00Z' })]
    commands({
      approvals_inbox: () => [],
      documents_mine: () => [],
      departments_list: () => [],
      users_list: () => USERS,
      delegations_list: () => rows,
      delegation_add: () => {
        const added = delegation('d2', { state: 'scheduled', rerouted_steps: 2 })
        rows = [added, ...rows]
        return added
      },
      delegation_revoke: (args) => {
        rows = rows.map((d) => (d.id === args.id ? { ...d, state: 'revoked' } : d))
        return rows.find((d) => d.id === args.id)
      },
    })
    await openTab()
    await waitFor(() => expect(document.querySelectorAll('#delegations-table tr[data-delegation-id]')).toHaveLength(2))
    expect(document.querySelector('button[data-revoke="d1"]')).not.toBeNull()
    expect(document.querySelector('button[data-revoke="d0"]')).toBeNull()
    // Only other active users can be chosen.
    const options = [...document.querySelectorAll<HTMLOptionElement>('#delegation-to option')].map((o) => o.value)
    expect(options).toEqual(['', 'jane@demo.test'])

    const to = document.querySelector<HTMLSelectElement>('#delegation-to')!
    to.value = 'jane@demo.test'
    await fireEvent.change(to)
    await fireEvent.input(document.querySelector('#delegation-from')!, { target: { value: '2026-03-20' } })
    await fireEvent.input(document.querySelector('#delegation-until')!, { target: { value: '2026-03-27' } })
    await fireEvent.click(document.querySelector('input[data-doc-type="purchase_order"]')!)
    await fireEvent.input(document.querySelector('#delegation-max-amount')!, { target: { value: '50,000' } })
    await fireEvent.click(document.getElementById('delegation-submit')!)
    await waitFor(() =>
      expect(callsOf('delegation_add')).toEqual([
        {
          delegation: {
            to_email: 'jane@demo.test',
            valid_from: '2026-03-20',
            valid_until: '2026-03-27',
            doc_types: ['purchase_order'],
            departments: null,
            max_amount: '50000',
          },
        },
      ]),
    )
    await waitFor(() => expect(document.getElementById('delegations-notice')!.textContent).toContain('2 pending step(s)'))
    expect(document.querySelectorAll('#delegations-table tr[data-delegation-id]')).toHaveLength(3)
    await waitFor(() => expect(document.querySelector<HTMLButtonElement>('button[data-revoke="d1"]')!.disabled).toBe(false))

    await fireEvent.click(document.querySelector('button[data-revoke="d1"]')!)
    await waitFor(() => expect(callsOf('delegation_revoke')).toEqual([{ id: 'd1' }]))
    await waitFor(() =>
      expect(document.querySelector('tr[data-delegation-id="d1"]')!.getAttribute('data-state')).toBe('revoked'),
    )
    expect(document.querySelector('button[data-revoke="d1"]')).toBeNull()
  })

  it('checks the form before asking and shows the core error inline', async () => {
    commands({
      approvals_inbox: () => [],
      documents_mine: () => [],
      departments_list: () => [],
      users_list: () => USERS,
      delegations_list: () => [],
      delegation_add: () => {
        throw { kind: 'conflict', message: 'You already delegate to Jane Achieng over this period.' }
      },
    })
    await openTab()
    await found('#delegations-empty')
    await fireEvent.click(document.getElementById('delegation-submit')!)
    expect(document.getElementById('delegations-error')!.getAttribute('role')).toBe('alert')
    expect(document.getElementById('delegations-error')!.textContent).toContain('Choose who approves')
    expect(callsOf('delegation_add')).toHaveLength(0)

    const to = document.querySelector<HTMLSelectElement>('#delegation-to')!
    to.value = 'jane@demo.test'
    await fireEvent.change(to)
    await fireEvent.input(document.querySelector('#delegation-from')!, { target: { value: '2026-03-20' } })
    await fireEvent.input(document.querySelector('#delegation-until')!, { target: { value: '2026-03-10' } })
    await fireEvent.click(document.getElementById('delegation-submit')!)
    expect(document.getElementById('delegations-error')!.textContent).toContain('after the start date')

    await fireEvent.input(document.querySelector('#delegation-until')!, { target: { value: '2026-03-27' } })
    await fireEvent.click(document.getElementById('delegation-submit')!)
    await waitFor(() =>
      expect(document.getElementById('delegations-error')!.textContent).toContain('already delegate'),
    )
  })

  it('falls back to typing an email without the user list', async () => {
    commands({
      approvals_inbox: () => [],
      documents_mine: () => [],
      departments_list: () => [],
      users_list: () => {
        throw { kind: 'permission_denied', message: 'no' }
      },
      delegations_list: () => [],
    })
    await openTab()
    await waitFor(() => expect(document.querySelector('#delegation-to')!.tagName).toBe('INPUT'))
  })
})
