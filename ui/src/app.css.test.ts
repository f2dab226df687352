/// <reference types="node" />
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// Read from disk: in the test environment a CSS import (even `?raw`) comes back empty. Vitest runs
// from ui/.
const stylesheet = readFileSync(resolve(process.cwd(), 'src/app.css'), 'utf8')

// A missing `}` in app.css does not fail the build: the browser reads every rule after it as
// nested inside the unclosed one, and those styles silently stop applying (it happened to the
// workflow rule traces and the budget forms). Every block must close before the next begins
// at the top level, i.e. the stylesheet's braces balance and never go below zero.
describe('app.css', () => {
  it('closes every block it opens', () => {
    const css = stylesheet.replace(/\/\*[\s\S]*?\*\//g, '')
    let depth = 0
    css.split('\n').forEach((line, i) => {
      for (const ch of line) {
        if (ch === '{') depth += 1
        if (ch === '}') depth -= 1
        expect(depth, `line ${i + 1} closes a block that was never opened`).toBeGreaterThanOrEqual(0)
      }
      // Hesabu's stylesheet nests only inside @media / @supports blocks, never deeper than 2.
      expect(depth, `line ${i + 1} is nested ${depth} deep: is a } missing above it?`).toBeLessThanOrEqual(2)
    })
    expect(depth, 'a block is never closed').toBe(0)
  })

  // On Linux, WebKitGTK asks fontconfig for every family in a font stack that is not installed,
  // at the first layout of each size and weight: the old cross-platform stack (-apple-system,
  // 'Segoe UI', Roboto, Ubuntu, Cantarell, ...) made the start screen's first layout take
  // 110–150 ms instead of 15–40 ms (docs/benchmarks.md, "Desktop start-up and memory"). Each
  // webview Hesabu runs in (WebKitGTK, WebView2, WKWebView) resolves `system-ui` to the desktop's
  // own font, so the stacks name that and the generic families only.
  it('names only system and generic font families', () => {
    const css = stylesheet.replace(/\/\*[\s\S]*?\*\//g, '')
    const allowed = new Set(['system-ui', 'ui-monospace', 'sans-serif', 'monospace', 'serif', 'inherit'])
    const stacks = [...css.matchAll(/font-family\s*:\s*([^;}]+)/g)].map((m) => m[1].trim())
    expect(stacks.length).toBeGreaterThan(0)
    for (const stack of stacks) {
      const families = stack
        .replace(/var\(\s*--[\w-]+\s*,\s*([^)]*)\)/g, '$1') // var(--mono, monospace): the fallback
        .split(',')
        .map((f) => f.trim().replace(/^['"]|['"]$/g, ''))
        .filter((f) => f !== '')
      for (const family of families) expect(allowed, `font-family: ${stack}`).toContain(family)
    }
  })
})
