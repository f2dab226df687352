// Keyboard shortcuts of the shell: `g` then a letter goes to a page, `?` toggles the help,
// Escape closes it. Keys typed into a field are never shortcuts.

export interface ShortcutTargets {
  /** The `g` shortcut letters and what they open. */
  keys: Record<string, () => void>
  toggleHelp: () => void
  escape: () => void
}

/** True when the key press belongs to a field the user is typing in. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type
    return !['button', 'submit', 'reset', 'checkbox', 'radio'].includes(type)
  }
  return false
}

export function createShortcutHandler(targets: ShortcutTargets, sequenceMs = 1500) {
  let pendingG = 0
  return (event: KeyboardEvent) => {
    if (event.defaultPrevented) return
    if (event.key === 'Escape') {
      pendingG = 0
      targets.escape()
      return
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return
    if (event.key === '?') {
      event.preventDefault()
      pendingG = 0
      targets.toggleHelp()
      return
    }
    const now = Date.now()
    if (pendingG && now - pendingG <= sequenceMs) {
      pendingG = 0
      const go = targets.keys[event.key.toLowerCase()]
      if (go) {
        event.preventDefault()
        go()
      }
      return
    }
    pendingG = event.key === 'g' || event.key === 'G' ? now : 0
  }
}
