import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { app } from '../lib/session.svelte'
import { ADMIN, callsOf, commands, wireError } from '../test/tauri'
import LoginScreen from './LoginScreen.svelte'

function openCompany(email = '') {
  app.companyOpened({ path: '/tmp/savannah.hesabu', name: 'Savannah Traders', time_zone: 'Africa/Nairobi' }, email)
}

async function typeAndSubmit(email: string, password: string) {
  await fireEvent.input(document.getElementById('login-email')!, { target: { value: email } })
  await fireEvent.input(document.getElementById('login-password')!, { target: { value: password } })
  // Enter in a field submits the form (implicit submission) — jsdom needs the submit event.
  await fireEvent.submit(document.getElementById('login-password')!.closest('form')!)
}

describe('LoginScreen', () => {
  it('shows the company and signs in with the typed email and password', async () => {
    commands({ login: () => ADMIN })
    openCompany()
    render(LoginScreen)
    expect(document.getElementById('login-company-name')!.textContent).toBe('Savannah Traders')
    expect(document.activeElement?.id).toBe('login-email')

    await typeAndSubmit('admin@demo.test', 'hesabu-demo')

    expect(callsOf('login')).toEqual([{ email: 'admin@demo.test', password: 'hesabu-demo' }])
    await waitFor(() => expect(app.screen).toBe('shell'))
    expect(app.session?.name).toBe('Amina Odhiambo')
  })

  it('shows the error message when login fails', async () => {
    commands({
      login: () => {
        throw wireError('auth_failed', 'The email or password is wrong. Check both and try again.')
      },
    })
    openCompany()
    render(LoginScreen)

    await typeAndSubmit('admin@demo.test', 'wrong-password')

    const error = await screen.findByRole('alert')
    expect(error.id).toBe('login-error')
    expect(error.classList.contains('error')).toBe(true)
    expect(error.textContent).toBe('The email or password is wrong. Check both and try again.')
    expect(app.screen).toBe('login')
    expect((document.getElementById('login-submit') as HTMLButtonElement).disabled).toBe(false)
  })

  it('prefills the email after a company was created and focuses the password', () => {
    openCompany('boss@acme.co.ke')
    render(LoginScreen)
    expect((document.getElementById('login-email') as HTMLInputElement).value).toBe('boss@acme.co.ke')
    expect(document.activeElement?.id).toBe('login-password')
  })

  it('"Open another company" closes the company and shows the start screen', async () => {
    commands({
      company_close: () => null,
      start_info: () => ({ recent: [], default_folder: '/home/me', demo_path: '/d.hesabu', open_company: null }),
    })
    openCompany()
    render(LoginScreen)
    await fireEvent.click(screen.getByRole('button', { name: 'Open another company' }))
    await waitFor(() => expect(app.screen).toBe('start'))
    expect(callsOf('company_close')).toHaveLength(1)
    expect(app.company).toBeNull()
  })
})
