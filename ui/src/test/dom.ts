import { waitFor } from '@testing-library/svelte'
import { expect } from 'vitest'

/** Waits until `css` matches an element and returns it. */
export function found<T extends Element = HTMLElement>(css: string): Promise<T> {
  return waitFor(() => {
    const element = document.querySelector<T>(css)
    expect(element, `${css} never appeared`).not.toBeNull()
    return element!
  })
}
