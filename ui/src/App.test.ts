import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { StartInfo } from './lib/bindings'
import App from './App.svelte'
import { app } from './lib/session.svelte'
import { ADMIN, callsOf, commands, wireError } from './test/tauri'

const EMPTY: StartInfo = {
  recent: [],
  default_folder: '/home/wanjiku/Documents/Hesabu',
  demo_path: '/home/wanjiku/.local/share/hesabu/demo.hesabu',
  open_company: null,
}

const input = (id: string, value: string) =>
  fireEvent.input(document.getElementById(id)!, { target: { value } })

describe('start screen', () => {
  it('on first run makes the demo the primary action and mentions the demo password', async () => {
    commands({ start_info: () => EMPTY })
    render(App)
    const demo = await waitFor(() => {
      const b = document.getElementById('open-demo')
      expect(b).not.toBeNull()
      return b!
    })
    expect(demo.classList.contains('primary')).toBe(true)
    expect(document.activeElement).toBe(demo)
    expect(document.body.textContent).toContain('hesabu-demo')
    expect(document.querySelectorAll('.recent-company')).toHaveLength(0)
  })

  it('lists recent files and opens one, then shows the login screen', async () => {
    commands({
      start_info: () => ({
        ...EMPTY,
        recent: [{ path: '/data/acme.hesabu', name: 'Acme Supplies', last_opened: '2026-01-05T08:00:00Z' }],
      }),
      company_open: ({ path }) => ({ path, name: 'Acme Supplies' }),
    })
    render(App)
    const recent = await waitFor(() => {
      const b = document.querySelector<HTMLElement>('.recent-company[data-path="/data/acme.hesabu"]')
      expect(b).not.toBeNull()
      return b!
    })
    expect(document.getElementById('open-demo')!.classList.contains('primary')).toBe(false)
    await fireEvent.click(recent)
    await waitFor(() => expect(document.getElementById('login-company-name')?.textContent).toBe('Acme Supplies'))
    expect(callsOf('company_open')).toEqual([{ path: '/data/acme.hesabu' }])
  })

  it('opens a file by path and shows the error when it fails', async () => {
    commands({
      start_info: () => EMPTY,
      company_open: () => {
        throw wireError('not_found', 'There is no company file at /nope.hesabu.')
      },
    })
    render(App)
    await waitFor(() => expect(document.getElementById('open-path')).not.toBeNull())
    await input('open-path', '/nope.hesabu')
    await fireEvent.click(document.getElementById('open-submit')!)
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toBe('There is no company file at /nope.hesabu.')
    expect(alert.classList.contains('error')).toBe(true)
  })

  it('creates a company: checks the KRA PIN, derives the path, and goes to login with the email', async () => {
    commands({
      start_info: () => EMPTY,
      company_create: ({ path }) => ({ path, name: 'Mama Mboga' }),
    })
    render(App)
    await waitFor(() => expect(document.getElementById('create-company')).not.toBeNull())
    await fireEvent.click(document.getElementById('create-company')!)
    expect(document.activeElement?.id).toBe('company-legal-name')

    await input('company-legal-name', 'Mama Mboga Limited')
    await input('company-trading-name', 'Mama Mboga')
    expect((document.getElementById('company-path') as HTMLInputElement).value).toBe(
      '/home/wanjiku/Documents/Hesabu/mama-mboga-limited.hesabu',
    )
    expect((document.getElementById('company-branch-id') as HTMLInputElement).value).toBe('00')
    await input('company-kra-pin', 'p05123')
    await input('admin-name', 'Wanjiku Kamau')
    await input('admin-email', 'Wanjiku@MamaMboga.co.ke')
    await input('admin-password', 'a-long-password')
    await fireEvent.click(document.getElementById('create-company-submit')!)

    expect(screen.getByRole('alert').textContent).toMatch(/KRA PIN 'P05123' is not valid.*nine digits/)
    expect(callsOf('company_create')).toHaveLength(0)

    await input('company-kra-pin', 'p051234567x')
    await fireEvent.click(document.getElementById('create-company-submit')!)
    await waitFor(() => expect(app.screen).toBe('login'))
    expect(callsOf('company_create')).toEqual([
      {
        path: '/home/wanjiku/Documents/Hesabu/mama-mboga-limited.hesabu',
        company: {
          legal_name: 'Mama Mboga Limited',
          trading_name: 'Mama Mboga',
          kra_pin: 'P051234567X',
          branch_id: '00',
          address: null,
          fiscal_year_start_month: null,
          admin_email: 'wanjiku@mamamboga.co.ke',
          admin_name: 'Wanjiku Kamau',
          admin_password: 'a-long-password',
        },
      },
    ])
    await waitFor(() => expect(document.getElementById('login-email')).not.toBeNull())
    expect((document.getElementById('login-email') as HTMLInputElement).value).toBe('wanjiku@mamamboga.co.ke')
  })

  it('keeps a path the user typed when the legal name changes', async () => {
    commands({ start_info: () => EMPTY })
    render(App)
    await waitFor(() => expect(document.getElementById('create-company')).not.toBeNull())
    await fireEvent.click(document.getElementById('create-company')!)
    await input('company-path', '/mnt/usb/books.hesabu')
    await input('company-legal-name', 'Acme')
    expect((document.getElementById('company-path') as HTMLInputElement).value).toBe('/mnt/usb/books.hesabu')
    // Escape closes the form.
    await fireEvent.keyDown(document.getElementById('company-legal-name')!, { key: 'Escape' })
    expect(document.getElementById('company-legal-name')).toBeNull()
  })
})

describe('boot', () => {
  it('goes straight to login when a company is already open', async () => {
    commands({
      start_info: () => ({ ...EMPTY, open_company: { path: '/data/acme.hesabu', name: 'Acme Supplies', time_zone: 'Africa/Nairobi' } }),
      session_current: () => null,
    })
    render(App)
    await waitFor(() => expect(document.getElementById('login-company-name')?.textContent).toBe('Acme Supplies'))
  })

  it('resumes the session after a reload', async () => {
    commands({
      start_info: () => ({ ...EMPTY, open_company: { path: '/data/acme.hesabu', name: 'Acme Supplies', time_zone: 'Africa/Nairobi' } }),
      session_current: () => ADMIN,
      company_info: () => {
        throw wireError('internal', 'not needed')
      },
    })
    render(App)
    await waitFor(() => expect(document.getElementById('user-menu')?.textContent).toContain('Amina Odhiambo'))
  })
})
