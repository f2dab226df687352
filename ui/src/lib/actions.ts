/** `use:autofocus` — focuses the element when it appears (the first field of a screen). */
export function autofocus(node: HTMLElement) {
  node.focus()
}

/** `use:focusIf={condition}` — focuses the element when it appears, if the condition holds. */
export function focusIf(node: HTMLElement, condition: boolean) {
  if (condition) node.focus()
}

/**
 * `use:onEscape={handler}` — Escape pressed anywhere inside the element calls the handler (to
 * close a form). The handler returns false to let the key through; otherwise the key is consumed
 * so that the shell's own Escape handling does not also run.
 */
export function onEscape(node: HTMLElement, handler: () => boolean | void) {
  let current = handler
  const listener = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return
    if (current() !== false) event.preventDefault()
  }
  node.addEventListener('keydown', listener)
  return {
    update(next: () => boolean | void) {
      current = next
    },
    destroy() {
      node.removeEventListener('keydown', listener)
    },
  }
}
