import { describe, expect, it } from 'vitest'
import { ApiError, companyUpdate, errorMessage, login, toApiError, userAdd, usersList } from './api'
import { callsOf, commands, invokeMock, wireError } from '../test/tauri'

describe('api', () => {
  it('passes the contract argument names to invoke', async () => {
    commands({ login: () => ({}), user_add: () => ({}), company_update: () => ({}) })
    await login('a@b.co', 'secret123')
    await userAdd({
      email: 'x@y.co',
      name: 'X',
      role: 'employee',
      manager_email: null,
      department: null,
      password: 'password1',
    })
    await companyUpdate({
      legal_name: 'L',
      trading_name: null,
      kra_pin: 'P051234567X',
      branch_id: '00',
      address: null,
      fiscal_year_start_month: 7,
      time_zone: 'Africa/Nairobi',
    })
    expect(invokeMock()).toHaveBeenCalledWith('login', { email: 'a@b.co', password: 'secret123' })
    expect(Object.keys(callsOf('user_add')[0])).toEqual(['user'])
    expect(Object.keys(callsOf('company_update')[0])).toEqual(['change'])
  })

  it('maps a rejected WireError to an ApiError with its kind and message', async () => {
    commands({
      users_list: () => {
        throw wireError('permission_denied', 'You may not view the user list.')
      },
    })
    const error = await usersList().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      kind: 'permission_denied',
      message: 'You may not view the user list.',
      command: 'users_list',
      wire: { kind: 'permission_denied', message: 'You may not view the user list.' },
    })
  })

  it('maps a string rejection (e.g. an unknown command) to an internal ApiError', async () => {
    invokeMock().mockRejectedValueOnce('Command users_lst not found')
    const error = await usersList().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ kind: 'internal', message: 'Command users_lst not found' })
  })

  it('maps anything else to an ApiError with a useful message', () => {
    expect(toApiError(new Error('IPC down'), 'login').message).toBe('IPC down')
    expect(toApiError(undefined, 'login').message).toMatch(/did not answer.*login/)
    expect(toApiError({ kind: 'nonsense', message: 'x' }, 'login').kind).toBe('internal')
    expect(errorMessage(wireError('conflict', 'Already exists.'))).toBe('Already exists.')
  })

  it('explains a failure outside the Tauri window (a plain browser)', () => {
    delete (window as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__
    const error = toApiError(new TypeError("Cannot read properties of undefined (reading 'invoke')"), 'start_info')
    expect(error.kind).toBe('internal')
    expect(error.message).toMatch(/not connected to the Hesabu app/)
  })
})
