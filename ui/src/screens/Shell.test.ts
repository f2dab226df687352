import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { CompanyInfo } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { ROLE_PERMISSIONS, type Permission, type Role } from '../lib/bindings'
import { ADMIN, AUDITOR, EMPLOYEE, FINANCE_USER, callsOf, commands } from '../test/tauri'
import Shell from './Shell.svelte'

const INFO: CompanyInfo = {
  id: 'c1',
  legal_name: 'Savannah Traders Limited',
  trading_name: 'Savannah Traders',
  kra_pin: 'P051234567X',
  branch_id: '00',
  address: null,
  base_currency: 'KES',
  fiscal_year_start_month: 7,
  time_zone: 'Africa/Nairobi',
  created_at: '2026-01-05T08:00:00Z',
  updated_at: '2026-01-05T08:00:00Z',
}

function enter(session = ADMIN, page: Parameters<typeof app.signedIn>[1] = 'dashboard') {
  app.company = { path: '/data/savannah.hesabu', name: 'Savannah Traders', time_zone: 'Africa/Nairobi' }
  app.signedIn(session, page)
}

const key = (k: string, target: Element = document.body) => fireEvent.keyDown(target, { key: k })

describe('Shell', () => {
  it('shows the dashboard with the company and the role, and no placeholder for unbuilt work', async () => {
    commands({ company_info: () => INFO })
    enter()
    render(Shell)
    expect(document.getElementById('user-menu')!.textContent).toContain('Amina Odhiambo')
    expect(document.getElementById('user-menu')!.textContent).toContain('Administrator')
    expect(document.querySelector('a[data-nav="dashboard"]')!.getAttribute('aria-current')).toBe('page')
    await waitFor(() => expect(document.body.textContent).toContain('P051234567X'))
    expect(document.body.textContent).not.toContain('later release')
    // Receipts is a real page now, in the Sales group (it was removed while it had no content).
    expect(document.querySelector('a[data-nav="receipts"]')!.textContent!.trim()).toBe('Receipts')
    expect(document.body.textContent).toContain('July')
  })

  it('navigates with the side links and with g-shortcuts, not while typing', async () => {
    commands({ company_info: () => INFO, users_list: () => [], departments_list: () => [] })
    enter()
    render(Shell)
    await fireEvent.click(document.querySelector('a[data-nav="sync"]')!)
    expect(app.page).toBe('sync')
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Sync')
    await fireEvent.click(document.querySelector('a[data-nav="monitoring"]')!)
    expect(app.page).toBe('monitoring')
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Monitoring')

    await key('g')
    await key('u')
    expect(app.page).toBe('settings-users')
    expect(location.hash).toBe('#settings-users')

    await key('g')
    await key('c')
    expect(app.page).toBe('settings-company')
    // Opening a page focuses its heading, not a field: the shortcuts keep working.
    await waitFor(() => expect(document.activeElement?.tagName).toBe('H1'))
    await waitFor(() => expect(document.getElementById('settings-legal-name')).not.toBeNull())
    document.getElementById('settings-legal-name')!.focus()
    // Typing in a field is not a shortcut; Escape leaves the field.
    await key('g', document.activeElement!)
    await key('d', document.activeElement!)
    expect(app.page).toBe('settings-company')
    await key('Escape', document.activeElement!)
    expect(document.activeElement).toBe(document.body)
    await key('g')
    await key('d')
    expect(app.page).toBe('dashboard')

    await key('?')
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy()
    await key('Escape')
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('signs out to the login screen and closes the company to the start screen', async () => {
    commands({
      company_info: () => INFO,
      logout: () => null,
      company_close: () => null,
      start_info: () => ({ recent: [], default_folder: '/h', demo_path: '/d', open_company: null }),
    })
    enter()
    render(Shell)
    await fireEvent.click(document.getElementById('logout')!)
    await waitFor(() => expect(app.screen).toBe('login'))
    expect(callsOf('logout')).toHaveLength(1)

    app.signedIn(ADMIN)
    await fireEvent.click(document.getElementById('close-company')!)
    await waitFor(() => expect(app.screen).toBe('start'))
    expect(app.company).toBeNull()
  })

  it('company settings: saves with company_edit', async () => {
    commands({
      company_info: () => INFO,
      company_update: ({ change }) => ({ ...INFO, ...(change as object), updated_at: '2026-02-01T08:00:00Z' }),
    })
    enter()
    app.page = 'settings-company'
    render(Shell)
    await waitFor(() => expect((document.getElementById('settings-legal-name') as HTMLInputElement).value).toBe(INFO.legal_name))
    expect((document.getElementById('settings-fiscal-month') as HTMLSelectElement).value).toBe('7')
    await fireEvent.input(document.getElementById('settings-trading-name')!, { target: { value: 'Savannah' } })
    await fireEvent.change(document.getElementById('settings-fiscal-month')!, { target: { value: '1' } })
    await fireEvent.submit(document.getElementById('company-form')!)
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('saved'))
    expect(callsOf('company_update')).toEqual([
      {
        change: {
          legal_name: 'Savannah Traders Limited',
          trading_name: 'Savannah',
          kra_pin: 'P051234567X',
          branch_id: '00',
          address: null,
          fiscal_year_start_month: 1,
          time_zone: 'Africa/Nairobi',
        },
      },
    ])
    expect(document.getElementById('header-company-name')!.textContent).toBe('Savannah')
  })

  it('company settings are read-only without company_edit', async () => {
    commands({ company_info: () => INFO })
    enter(FINANCE_USER)
    app.page = 'settings-company'
    render(Shell)
    await waitFor(() => expect((document.getElementById('settings-legal-name') as HTMLInputElement).value).toBe(INFO.legal_name))
    expect(document.getElementById('settings-legal-name')!.matches(':disabled')).toBe(true)
    await waitFor(() => expect(document.activeElement?.tagName).toBe('H1'))
    expect((document.getElementById('company-save') as HTMLButtonElement).disabled).toBe(true)
    expect(document.body.textContent).toContain('can view these settings but not change them')
  })

  it('shows the Sales area to roles that may view sales, with its g-shortcuts', async () => {
    commands({
      company_info: () => INFO,
      sales_list: () => [],
      sales_code_lists: () => ({ tax_types: [], quantity_units: [], packaging_units: [], credit_note_reasons: [], payment_methods: [] }),
      customers_list: () => [],
      items_list: () => [],
    })
    enter(FINANCE_USER)
    render(Shell)
    expect([...document.querySelectorAll('nav a[data-nav]')].map((a) => a.getAttribute('data-nav'))).toEqual(
      expect.arrayContaining(['sales', 'customers', 'items']),
    )
    await fireEvent.click(document.querySelector('a[data-nav="sales"]')!)
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Sales')
    await key('g')
    await key('e')
    expect(app.page).toBe('customers')
    await key('g')
    await key('t')
    expect(app.page).toBe('items')
    await key('g')
    await key('i')
    expect(app.page).toBe('sales')
  })

  it('hides the Sales area from a role without sales_view, and its shortcuts', async () => {
    commands({ company_info: () => INFO })
    enter({ ...FINANCE_USER, permissions: FINANCE_USER.permissions.filter((p) => p !== 'sales_view') })
    render(Shell)
    expect(document.querySelector('a[data-nav="sales"]')).toBeNull()
    expect(document.querySelector('a[data-nav="items"]')).toBeNull()
    await key('g')
    await key('i')
    expect(app.page).toBe('dashboard')
  })

  const menu = () => [...document.querySelectorAll('nav a[data-nav]')].map((a) => a.getAttribute('data-nav'))

  it.each<[Role, string[], string[]]>([
    [
      'admin',
      ['dashboard', 'approvals', 'documents', 'budgets', 'sync', 'monitoring', 'workflows', 'sales', 'customers', 'items', 'receipts', 'etims', 'audit', 'settings-users', 'settings-company', 'settings-quickbooks'],
      [],
    ],
    [
      'auditor',
      ['dashboard', 'documents', 'budgets', 'sync', 'monitoring', 'workflows', 'sales', 'customers', 'items', 'receipts', 'etims', 'audit', 'settings-users', 'settings-company', 'settings-quickbooks'],
      ['approvals'],
    ],
    ['employee', ['dashboard', 'approvals', 'sales', 'customers', 'items', 'receipts', 'settings-company'], ['documents', 'budgets', 'sync', 'monitoring', 'workflows', 'etims', 'audit', 'settings-users', 'settings-quickbooks']],
    ['approver', ['dashboard', 'approvals', 'budgets', 'sales', 'customers', 'items', 'receipts', 'settings-users', 'settings-company'], ['sync', 'monitoring', 'workflows', 'etims', 'audit', 'settings-quickbooks']],
  ])('shows %s only the pages the role may use', async (role, shown, hidden) => {
    commands({ company_info: () => INFO })
    enter({ ...ADMIN, role, permissions: [...ROLE_PERMISSIONS[role]] as Permission[] })
    render(Shell)
    expect(menu()).toEqual(shown)
    for (const page of hidden) expect(menu()).not.toContain(page)
  })

  it('sends a page the role may not open (a shortcut, a typed hash) to the dashboard', async () => {
    commands({ company_info: () => INFO })
    enter(EMPLOYEE)
    render(Shell)
    await key('g')
    await key('b')
    expect(app.page).toBe('dashboard')
    // A reload with `#sync` in the URL signs in on that page: the employee lands on the dashboard.
    enter(EMPLOYEE, 'sync')
    expect(app.page).toBe('dashboard')
  })

  it('offers the auditor no action that would write', async () => {
    commands({ company_info: () => INFO })
    enter(AUDITOR)
    render(Shell)
    await waitFor(() => expect(document.body.textContent).toContain('P051234567X'))
    expect(document.querySelector('#figure-pending')).toBeNull()
  })

  it('says plainly when the company signs with the local e-TIMS sandbox, and only then', async () => {
    commands({ company_info: () => INFO })
    enter()
    const { unmount } = render(Shell)
    expect(document.getElementById('etims-sandbox-banner')).toBeNull()
    unmount()
    const notice = 'Demo company: sales are signed by a local test double of KRA e-TIMS running inside Hesabu, not by KRA.'
    app.company = { path: '/data/demo.hesabu', name: 'Savannah Traders', time_zone: 'Africa/Nairobi', etims_sandbox: notice }
    render(Shell)
    expect(document.getElementById('etims-sandbox-banner')!.textContent).toBe(notice)
  })
})
