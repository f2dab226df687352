import { cleanup } from '@testing-library/svelte'
import { afterEach, beforeEach, vi } from 'vitest'

// Every test talks to a mocked Tauri: `invoke` is a vi.fn() that each test programs (see
// ./tauri.ts). The mock is declared here, not per file, because this setup file imports the app
// state (and through it api.ts) before any test file runs.
vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }))

const { invoke } = await import('@tauri-apps/api/core')
const { app } = await import('../lib/session.svelte')

beforeEach(() => {
  vi.mocked(invoke).mockReset()
  // What the Tauri window provides; api.ts checks for it to explain failures in a plain browser.
  Object.assign(window, { __TAURI_INTERNALS__: {} })
})

afterEach(() => {
  cleanup()
  app.reset()
  history.replaceState(null, '', '/')
})
