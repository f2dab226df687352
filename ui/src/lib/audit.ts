// The audit log in words: what an action and an entity type are called on the Audit log page.

const SUBJECTS: Record<string, string> = {
  approval: 'Approval',
  approval_policy: 'Approval policy',
  backup: 'Backup',
  budget: 'Budget',
  company: 'Company',
  customer: 'Customer',
  delegation: 'Delegation',
  department: 'Department',
  document: 'Document',
  event: 'Event',
  holiday: 'Holiday',
  item: 'Item',
  notification: 'Notification',
  outbox: 'Sync item',
  report: 'Report',
  rules: 'Business rules',
  sale: 'Sale',
  sales: 'Sales',
  scheduled_job: 'Scheduled job',
  user: 'User',
  workflow: 'Workflow',
}

const VERBS: Record<string, string> = {
  add: 'added',
  approve: 'approved',
  auto_approve: 'approved automatically',
  blocked: 'blocked a submission',
  bulk_approve: 'approved in bulk',
  cancel: 'cancelled',
  check: 'checked',
  create: 'created',
  deactivate: 'deactivated',
  dead_letter: 'given up on',
  delegate: 'delegated',
  deliver: 'delivered',
  designate: 'designation set',
  edit: 'edited',
  enable: 'switched on',
  disable: 'switched off',
  set: 'set up',
  escalate: 'escalated',
  expire: 'expired',
  fiscalise: 'signed by KRA',
  import: 'imported',
  issue: 'issued',
  phase: 'phased by month',
  read: 'read',
  recall: 'recalled',
  record: 'recorded',
  release: 'released',
  remind: 'reminder sent',
  reserve: 'reserved',
  restore: 'restored',
  retry: 'retried',
  revoke: 'revoked',
  run: 'run',
  set_head: 'head set',
  settings: 'settings changed',
  spend: 'spent',
  start: 'started',
  submit: 'submitted',
  tax_review_resolve: 'tax review resolved',
  update: 'changed',
  void: 'voided',
  work_week: 'work week changed',
  commit: 'committed',
  reject: 'rejected',
  return: 'returned',
  clarify: 'clarification asked',
  resubmit: 'resubmitted',
}

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
  const known: Record<string, string> = {
    approval_document: 'Document',
    approval_request: 'Approval request',
    approval_step: 'Approval step',
    sales_document: 'Sale',
    app_user: 'User',
    budget_reservation: 'Reservation',
  }
  return known[entityType] ?? SUBJECTS[entityType] ?? words(entityType)
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
