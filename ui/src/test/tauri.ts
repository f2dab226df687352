// Helpers for tests: `vi.mock('@tauri-apps/api/core', ...)` must stay in each test file (it is
// hoisted); these set what the mocked `invoke` answers per command.
import { invoke } from '@tauri-apps/api/core'
import { vi } from 'vitest'
import { ROLE_PERMISSIONS, type SessionInfo, type WireError } from '../lib/bindings'

type Handler = (args: Record<string, unknown>) => unknown

export const invokeMock = () => vi.mocked(invoke)

/** Who listens to which Tauri event (filled by the mocked `listen` in ./setup.ts). */
export const listeners = new Set<{ event: string; handler: (e: { event: string; payload: unknown }) => void }>()

/** Delivers an event to the screen as the Tauri backend would. */
export function emitEvent(event: string, payload: unknown) {
  for (const l of [...listeners]) if (l.event === event) l.handler({ event, payload })
}

export function commands(handlers: Record<string, Handler>) {
  invokeMock().mockImplementation(async (command: string, args?: unknown) => {
    const handler = handlers[command]
    if (!handler) {
      const error: WireError = { kind: 'internal', message: `no mock for ${command}` }
      throw error
    }
    return handler((args ?? {}) as Record<string, unknown>)
  })
}

/** The arguments of every call of one command. */
export function callsOf(command: string): Record<string, unknown>[] {
  return invokeMock()
    .mock.calls.filter(([c]) => c === command)
    .map(([, args]) => (args ?? {}) as Record<string, unknown>)
}

export function wireError(kind: WireError['kind'], message: string): WireError {
  return { kind, message }
}

// Signed-in users of the demo company, with the core's real permission table.
export const ADMIN: SessionInfo = {
  user_id: 'u-admin',
  email: 'admin@demo.test',
  name: 'Amina Odhiambo',
  role: 'admin',
  permissions: [...ROLE_PERMISSIONS.admin],
}

export const FINANCE_USER: SessionInfo = {
  user_id: 'u-grace',
  email: 'accountant@demo.test',
  name: 'Grace Wanjiru',
  role: 'finance_user',
  permissions: [...ROLE_PERMISSIONS.finance_user],
}

export const AUDITOR: SessionInfo = {
  user_id: 'u-auditor',
  email: 'auditor@demo.test',
  name: 'Peter Kamau',
  role: 'auditor',
  permissions: [...ROLE_PERMISSIONS.auditor],
}

export const EMPLOYEE: SessionInfo = {
  user_id: 'u-employee',
  email: 'employee@demo.test',
  name: 'Brian Otieno',
  role: 'employee',
  permissions: [...ROLE_PERMISSIONS.employee],
}
