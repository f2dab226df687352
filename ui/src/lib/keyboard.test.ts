import { describe, expect, it, vi } from 'vitest'
import { createShortcutHandler } from './keyboard'

function press(handler: (e: KeyboardEvent) => void, key: string, target: EventTarget = document.body) {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
  Object.defineProperty(event, 'target', { value: target })
  handler(event)
  return event
}

describe('shortcuts', () => {
  it('g then a letter navigates, ? toggles the help, Escape escapes', () => {
    const d = vi.fn()
    const toggleHelp = vi.fn()
    const escape = vi.fn()
    const handler = createShortcutHandler({ keys: { d }, toggleHelp, escape })
    press(handler, 'd')
    expect(d).not.toHaveBeenCalled()
    press(handler, 'g')
    press(handler, 'd')
    expect(d).toHaveBeenCalledTimes(1)
    press(handler, '?')
    expect(toggleHelp).toHaveBeenCalledTimes(1)
    press(handler, 'Escape')
    expect(escape).toHaveBeenCalledTimes(1)
  })

  it('ignores keys typed into fields', () => {
    const d = vi.fn()
    const toggleHelp = vi.fn()
    const handler = createShortcutHandler({ keys: { d }, toggleHelp, escape: vi.fn() })
    const input = document.createElement('input')
    press(handler, 'g', input)
    press(handler, 'd', input)
    press(handler, '?', input)
    expect(d).not.toHaveBeenCalled()
    expect(toggleHelp).not.toHaveBeenCalled()
  })
})
