import { cleanup } from '@testing-library/svelte'
import { afterEach, beforeEach, vi } from 'vitest'

// Every test talks to a mocked Tauri: `invoke` is a vi.fn() that each test programs (see
// ./tauri.ts). The mock is declared here, not per file, because this setup file imports the app
// state (and through it api.ts) before any test file runs.
vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }))
// Events: `listen` registers in a table that `emitEvent` (./tauri.ts) calls.
vi.mock('@tauri-apps/api/event', async () => {
  const { listeners } = await import('./tauri')
  return {
    listen: vi.fn(async (event: string, handler: (e: { event: string; payload: unknown }) => void) => {
      const entry = { event, handler }
      listeners.add(entry)
      return () => listeners.delete(entry)
    }),
  }
})

const { invoke } = await import('@tauri-apps/api/core')
const { app } = await import('../lib/session.svelte')

beforeEach(async () => {
  vi.mocked(invoke).mockReset()
  const { listeners } = await import('./tauri')
  listeners.clear()
  // What the Tauri window provides; api.ts checks for it to explain failures in a plain browser.
  Object.assign(window, { __TAURI_INTERNALS__: {} })
})

afterEach(() => {
  cleanup()
  app.reset()
  history.replaceState(null, '', '/')
})
