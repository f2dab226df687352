// The Workflows screen's vocabulary: labels, the fields of each workflow's config form, and
// client-side checks that mirror the core's (the core still validates everything).
import type { ExecutionView, JsonValue, WorkflowType } from './bindings'

export const WORKFLOW_LABELS: Record<WorkflowType, string> = {
  invoice_sync: 'Invoices',
  customer_sync: 'Customers',
  item_sync: 'Items',
  credit_note_sync: 'Credit notes',
  sales_sync: 'Sales',
}

export const EXECUTION_STATUSES: ExecutionView['status'][] = ['pending', 'running', 'completed', 'failed', 'skipped']

export type FieldKind = 'bool' | 'int' | 'amount' | 'choice' | 'list'

export type FieldSpec = {
  key: string
  label: string
  kind: FieldKind
  /** For `choice` and `list`: the allowed values (e-TIMS codes where they apply). */
  options?: string[]
  hint?: string
}

export const CONFIG_FIELDS: Record<WorkflowType, FieldSpec[]> = {
  invoice_sync: [
    { key: 'retryOnFailure', label: 'Retry failed sends', kind: 'bool' },
    { key: 'maxRetries', label: 'Maximum retries', kind: 'int' },
    { key: 'notifyOnFailure', label: 'Notify on failure', kind: 'bool' },
    { key: 'syncETRReceipt', label: 'Keep the signed ETR receipt', kind: 'bool' },
    {
      key: 'requireApprovalAbove',
      label: 'Send before approval up to (KES, optional)',
      kind: 'amount',
      hint: 'Invoices at or below this amount are sent when created; larger ones once approved.',
    },
  ],
  customer_sync: [
    { key: 'validatePIN', label: 'KRA PIN check', kind: 'choice', options: ['strict', 'lenient'] },
    { key: 'syncOnUpdate', label: 'Send changes too', kind: 'bool' },
    { key: 'batchSync', label: 'Batch customers', kind: 'bool' },
  ],
  item_sync: [
    { key: 'taxableOnly', label: 'Taxable items only (not A, D)', kind: 'bool' },
    { key: 'serviceLevels', label: 'Item types', kind: 'list', options: ['1', '2', '3'], hint: '1 raw material, 2 finished product, 3 service; empty = all' },
    { key: 'taxCategories', label: 'Tax categories', kind: 'list', options: ['A', 'B', 'C', 'D', 'E'], hint: 'empty = all' },
  ],
  credit_note_sync: [{ key: 'requireOriginalInvoice', label: 'Require the original invoice', kind: 'bool' }],
  sales_sync: [
    { key: 'serviceLevels', label: 'Item types', kind: 'list', options: ['1', '2', '3'], hint: 'empty = all' },
    { key: 'taxThreshold', label: 'Skip sales below (KES, optional)', kind: 'amount' },
    { key: 'transactionTypes', label: 'Transaction types', kind: 'list', options: ['N', 'C', 'P', 'T'], hint: 'N normal, C copy, P proforma, T training' },
    { key: 'customerTypes', label: 'Customer types', kind: 'list', options: ['B2B', 'B2C'] },
  ],
}

/** The form's text for a config value. */
export function fieldText(spec: FieldSpec, value: unknown): string | boolean {
  if (spec.kind === 'bool') return value === true
  if (spec.kind === 'list') return Array.isArray(value) ? value.join(', ') : ''
  if (value === null || value === undefined) return ''
  return String(value)
}

/**
 * Turns the form back into a config object, or per-key errors. Only keys of the spec are sent,
 * so the core's "unknown key" check never fires from the form.
 */
export function readConfig(
  workflow: WorkflowType,
  values: Record<string, string | boolean>,
): { config: { [key: string]: JsonValue }; errors: Record<string, string> } {
  const config: { [key: string]: JsonValue } = {}
  const errors: Record<string, string> = {}
  for (const spec of CONFIG_FIELDS[workflow]) {
    const raw = values[spec.key]
    if (spec.kind === 'bool') {
      config[spec.key] = raw === true
      continue
    }
    const text = String(raw ?? '').trim()
    switch (spec.kind) {
      case 'int':
        if (!/^\d+$/.test(text)) errors[spec.key] = 'Enter a whole number, e.g. 3.'
        else config[spec.key] = Number(text)
        break
      case 'amount': {
        const plain = text.replace(/,/g, '')
        if (plain === '') config[spec.key] = null
        else if (!/^\d+(\.\d{1,2})?$/.test(plain)) errors[spec.key] = 'Enter an amount such as 50,000.00, or leave it empty.'
        else config[spec.key] = plain
        break
      }
      case 'choice':
        if (!spec.options?.includes(text)) errors[spec.key] = `Choose one of: ${spec.options?.join(', ')}.`
        else config[spec.key] = text
        break
      case 'list': {
        const items = text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '')
        const bad = items.filter((i) => !spec.options?.includes(i))
        if (bad.length > 0) errors[spec.key] = `${bad.join(', ')}: use ${spec.options?.join(', ')}.`
        else config[spec.key] = items
        break
      }
    }
  }
  return { config, errors }
}

/** The config key a core error message names (`… key 'maxRetries' …`), if any. */
export function keyNamed(message: string): string | null {
  const match = /'([A-Za-z]+)'/.exec(message)
  return match ? match[1] : null
}

/** A status filter option in words. */
export const EXECUTION_STATUS_LABELS: Record<string, string> = {
  pending: 'Waiting or held',
  running: 'Sending',
  completed: 'Sent',
  failed: 'Failed',
  skipped: 'Skipped',
}

/**
 * What an execution is doing, truthfully: a pending execution with an outbox row is waiting to be
 * sent; one without is held for a person (a tax review, a manual run) and will not go by itself.
 */
export function executionStatusLabel(e: Pick<ExecutionView, 'status' | 'outbox_id' | 'error_kind' | 'error_message'>): string {
  switch (e.status) {
    case 'pending':
      if (e.outbox_id) return 'Waiting to send'
      if (e.error_kind === 'held') return 'Held for tax review'
      if (e.error_kind === 'manual') return 'Held: run it by hand'
      return 'Held'
    case 'running':
      return e.error_message?.startsWith('retrying') ? 'Retrying' : 'Sending'
    case 'completed':
      return 'Sent'
    case 'failed':
      return 'Failed'
    case 'skipped':
      return 'Skipped'
    default:
      return e.status
  }
}

/** How one attempt ended (mirrors `outcome_label` in crates/hesabu-core/src/workflows/export.rs). */
export function attemptOutcomeLabel(outcome: string): string {
  switch (outcome) {
    case 'sending':
      return 'Sending'
    case 'sent':
      return 'Sent'
    case 'will_retry':
      return 'Failed, will retry'
    case 'failed':
      return 'Failed'
    case 'interrupted':
      return 'Interrupted (app stopped)'
    default:
      return outcome
  }
}

/** Who started an attempt or an execution (mirrors `trigger_label` in export.rs). */
export function startedByLabel(startedBy: string): string {
  switch (startedBy) {
    case 'event':
      return 'Automatically'
    case 'manual':
      return 'By hand'
    case 'retry':
      return 'Retry by a person'
    case 'automatic':
      return 'Automatic retry'
    default:
      return startedBy
  }
}

/** The tone of an attempt's outcome (a status chip class). */
export const ATTEMPT_TONE: Record<string, string> = {
  sending: 'warn',
  sent: 'on',
  will_retry: 'warn',
  failed: 'bad',
  interrupted: 'warn',
}

/** One row of the execution log: an attempt, or an execution that sent nothing. */
export interface ExecutionLogRow {
  key: string
  execution: ExecutionView
  attempt: ExecutionView['attempt_log'][number] | null
  /** The newest row of its execution (where its Retry button goes). */
  newest: boolean
}

/** The execution log's rows: one per attempt, newest first within each execution. */
export function executionLogRows(executions: ExecutionView[]): ExecutionLogRow[] {
  const rows: ExecutionLogRow[] = []
  for (const execution of executions) {
    if (execution.attempt_log.length === 0) {
      rows.push({ key: execution.id, execution, attempt: null, newest: true })
      continue
    }
    const attempts = [...execution.attempt_log].reverse()
    attempts.forEach((attempt, i) => rows.push({ key: `${execution.id}:${attempt.number}`, execution, attempt, newest: i === 0 }))
  }
  return rows
}

const ENTITY_LABELS: Record<string, string> = {
  invoice: 'Invoice',
  sales_invoice: 'Invoice',
  credit_note: 'Credit note',
  sale: 'Cash sale',
  sales_receipt: 'Cash sale',
  customer: 'Customer',
  item: 'Item',
  document: 'Document',
}

/** An execution's entity type in words ("Credit note"). */
export function entityTypeLabel(type: string): string {
  return ENTITY_LABELS[type] ?? type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())
}

/** When rules were evaluated, in words. */
export function evaluationTriggerLabel(trigger: string): string {
  return trigger === 'created' ? 'when raised' : trigger === 'submitted' ? 'when submitted' : trigger
}

/** A rule evaluation's outcome, in words. */
export function evaluationOutcomeLabel(outcome: string): string {
  switch (outcome) {
    case 'passed':
      return 'No rule applied'
    case 'actions':
      return 'Rules applied'
    case 'blocked':
      return 'Blocked by a rule'
    default:
      return outcome
  }
}
