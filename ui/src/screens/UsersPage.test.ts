import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { DepartmentView, NewUser, UserView } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { ADMIN, FINANCE_USER, callsOf, commands, wireError } from '../test/tauri'
import UsersPage from './UsersPage.svelte'

const at = '2026-01-05T08:00:00Z'

function user(email: string, name: string, extra: Partial<UserView> = {}): UserView {
  return {
    id: `id-${email}`,
    email,
    name,
    role: 'employee',
    manager_email: null,
    manager_name: null,
    department: null,
    active: true,
    created_at: at,
    ...extra,
  }
}

const USERS: UserView[] = [
  user('admin@demo.test', 'Amina Odhiambo', { role: 'admin', department: 'Administration' }),
  user('cfo@demo.test', 'Peter Kamau', { role: 'finance_manager', department: 'Finance' }),
  user('old@demo.test', 'Old Timer', { active: false }),
]
const DEPARTMENTS: DepartmentView[] = [
  { id: 'd1', name: 'Finance', active: true, created_at: at },
  { id: 'd2', name: 'Sales', active: true, created_at: at },
]

function signIn(session = ADMIN) {
  app.session = session
  app.screen = 'shell'
}

const input = (id: string, value: string) =>
  fireEvent.input(document.getElementById(id)!, { target: { value } })
const choose = (id: string, value: string) =>
  fireEvent.change(document.getElementById(id)!, { target: { value } })

describe('UsersPage', () => {
  it('lists the users with human role labels and statuses', async () => {
    commands({ users_list: () => USERS, departments_list: () => DEPARTMENTS })
    signIn()
    render(UsersPage)
    const row = await waitFor(() => {
      const r = document.querySelector('#users-table tr[data-email="cfo@demo.test"]')
      expect(r).not.toBeNull()
      return r!
    })
    expect(row.textContent).toContain('Finance manager')
    expect(row.textContent).toContain('Active')
    const old = document.querySelector('tr[data-email="old@demo.test"]')!
    expect(old.textContent).toContain('Deactivated')
    // No deactivate button for yourself or for someone already deactivated.
    expect(document.querySelector('button[data-deactivate="cfo@demo.test"]')).not.toBeNull()
    expect(document.querySelector('button[data-deactivate="admin@demo.test"]')).toBeNull()
    expect(document.querySelector('button[data-deactivate="old@demo.test"]')).toBeNull()
  })

  it('hides "Add user" and deactivation without user_manage', async () => {
    commands({ users_list: () => USERS, departments_list: () => DEPARTMENTS })
    signIn(FINANCE_USER)
    render(UsersPage)
    await waitFor(() => expect(document.querySelectorAll('#users-table tbody tr[data-email]')).toHaveLength(3))
    expect(document.getElementById('add-user')).toBeNull()
    expect(document.querySelector('button[data-deactivate]')).toBeNull()
    expect(document.getElementById('department-name')).toBeNull()
  })

  it('adds a user with the form values and shows the new row without reloading', async () => {
    const added = user('grace@demo.test', 'Grace Wanjiru', {
      role: 'finance_user',
      department: 'Finance',
      manager_email: 'cfo@demo.test',
      manager_name: 'Peter Kamau',
    })
    commands({ users_list: () => USERS, departments_list: () => DEPARTMENTS, user_add: () => added })
    signIn()
    render(UsersPage)
    await waitFor(() => expect(document.querySelectorAll('#users-table tr[data-email]')).toHaveLength(3))

    await fireEvent.click(document.getElementById('add-user')!)
    expect(document.activeElement?.id).toBe('user-name')
    // Only active users can be managers.
    const managerOptions = [...document.querySelectorAll('#user-manager option')].map((o) => o.textContent)
    expect(managerOptions).toEqual(['— none —', 'Amina Odhiambo (Administrator)', 'Peter Kamau (Finance manager)'])

    await input('user-name', 'Grace Wanjiru')
    await input('user-email', 'grace@demo.test')
    await choose('user-role', 'finance_user')
    await choose('user-department', 'Finance')
    await choose('user-manager', 'cfo@demo.test')
    await input('user-password', 'hesabu-demo')
    await fireEvent.click(document.getElementById('user-add-submit')!)

    await waitFor(() => expect(document.querySelector('tr[data-email="grace@demo.test"]')).not.toBeNull())
    const expected: NewUser = {
      name: 'Grace Wanjiru',
      email: 'grace@demo.test',
      role: 'finance_user',
      department: 'Finance',
      manager_email: 'cfo@demo.test',
      password: 'hesabu-demo',
    }
    expect(callsOf('user_add')).toEqual([{ user: expected }])
    expect(callsOf('users_list')).toHaveLength(1)
    const row = document.querySelector('tr[data-email="grace@demo.test"]')!
    expect(row.textContent).toContain('Finance user')
    expect(row.textContent).toContain('Peter Kamau')
    // The form is reset for the next user.
    expect((document.getElementById('user-name') as HTMLInputElement).value).toBe('')
    expect((document.getElementById('user-password') as HTMLInputElement).value).toBe('')
    expect((document.getElementById('user-role') as HTMLSelectElement).value).toBe('employee')
    expect(screen.getByRole('status').textContent).toContain('Added Grace Wanjiru')
  })

  it('shows the core error inline when adding fails, and checks the password locally', async () => {
    commands({
      users_list: () => USERS,
      departments_list: () => DEPARTMENTS,
      user_add: () => {
        throw wireError('conflict', 'A user with email cfo@demo.test already exists in this company file.')
      },
    })
    signIn()
    render(UsersPage)
    await waitFor(() => expect(document.getElementById('add-user')).not.toBeNull())
    await fireEvent.click(document.getElementById('add-user')!)
    await input('user-name', 'Peter Again')
    await input('user-email', 'cfo@demo.test')
    await input('user-password', 'short')
    await fireEvent.click(document.getElementById('user-add-submit')!)
    expect(screen.getByRole('alert').textContent).toMatch(/at least 8 characters/)
    expect(callsOf('user_add')).toHaveLength(0)

    await input('user-password', 'long-enough')
    await fireEvent.click(document.getElementById('user-add-submit')!)
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/already exists/))
    expect(screen.getByRole('alert').classList.contains('error')).toBe(true)
  })

  it('deactivates a user after an inline confirmation', async () => {
    commands({
      users_list: () => USERS,
      departments_list: () => DEPARTMENTS,
      user_deactivate: ({ email }) => ({ ...USERS.find((u) => u.email === email)!, active: false }),
    })
    signIn()
    render(UsersPage)
    await waitFor(() => expect(document.querySelector('button[data-deactivate="cfo@demo.test"]')).not.toBeNull())
    await fireEvent.click(document.querySelector('button[data-deactivate="cfo@demo.test"]')!)
    expect(callsOf('user_deactivate')).toHaveLength(0)
    await fireEvent.click(document.querySelector('button[data-confirm-deactivate="cfo@demo.test"]')!)
    await waitFor(() =>
      expect(document.querySelector('tr[data-email="cfo@demo.test"]')!.textContent).toContain('Deactivated'),
    )
    expect(callsOf('user_deactivate')).toEqual([{ email: 'cfo@demo.test' }])
    expect(document.querySelector('button[data-deactivate="cfo@demo.test"]')).toBeNull()
  })

  it('adds a department with department_manage', async () => {
    commands({
      users_list: () => USERS,
      departments_list: () => DEPARTMENTS,
      department_add: ({ name }) => ({ id: 'd3', name, active: true, created_at: at }),
    })
    signIn()
    render(UsersPage)
    await waitFor(() => expect(document.querySelector('[data-department="Sales"]')).not.toBeNull())
    await input('department-name', 'Logistics')
    await fireEvent.submit(document.getElementById('department-name')!.closest('form')!)
    await waitFor(() => expect(document.querySelector('[data-department="Logistics"]')).not.toBeNull())
    expect(callsOf('department_add')).toEqual([{ name: 'Logistics' }])
  })
})
