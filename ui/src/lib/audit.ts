// The audit log in words: what an action and an entity type are called on the Audit log page.

import { AUDIT_ENTITIES, AUDIT_SUBJECTS, AUDIT_VERBS } from './bindings'

// The vocabulary is the core's (`hesabu_store::audit::words`, generated into the bindings), so
// the page and the audit export say the same words.
const SUBJECTS = AUDIT_SUBJECTS
const VERBS = AUDIT_VERBS

function words(text: string): string {
  const spaced = text.replace(/[._]/g, ' ').trim()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

/** "budget.reserve" → "Budget reserved"; an action it does not know, spelt out in words. */
export function auditActionLabel(action: string): string {
  const dot = action.indexOf('.')
  if (dot < 0) return words(action)
  const subject = SUBJECTS[action.slice(0, dot)]
  const verb = VERBS[action.slice(dot + 1)]
  if (subject && verb) return `${subject} ${verb}`
  return words(action)
}

/** "approval_document" → "Document". */
export function auditEntityLabel(entityType: string): string {
  return AUDIT_ENTITIES[entityType] ?? SUBJECTS[entityType] ?? words(entityType)
}

/** A before/after summary as short "key: value" lines for people (JSON stays in the tooltip). */
export function changeLines(value: unknown): string[] {
  if (value === null || value === undefined) return []
  if (typeof value !== 'object') return [String(value)]
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const shown = v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)
    return `${words(k)}: ${shown.length > 120 ? `${shown.slice(0, 117)}…` : shown}`
  })
}
