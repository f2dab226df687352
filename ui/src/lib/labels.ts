import type { CheckOutcome, DocumentStatus, DocumentType, Enforcement, Permission, Role } from './bindings'

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  finance_manager: 'Finance manager',
  finance_user: 'Finance user',
  approver: 'Approver',
  employee: 'Employee',
  auditor: 'Auditor',
}

export const ROLES: Role[] = ['admin', 'finance_manager', 'finance_user', 'approver', 'employee', 'auditor']

export function roleLabel(role: Role): string {
  return ROLE_LABELS[role] ?? role
}

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

/** 1 = January. */
export function monthName(month: number): string {
  return MONTHS[month - 1] ?? String(month)
}

export function can(permissions: readonly Permission[] | undefined, permission: Permission): boolean {
  return permissions?.includes(permission) ?? false
}

export { formatDate, formatDateTime } from './dates'

export const DOCUMENT_TYPE_LABELS: Record<DocumentType, string> = {
  purchase_order: 'Purchase order',
  expense_claim: 'Expense claim',
  payment_voucher: 'Payment voucher',
  material_request: 'Material request',
  journal_entry: 'Journal entry',
  budget_revision: 'Budget revision',
  sales_invoice: 'Sales invoice',
}

export const DOCUMENT_TYPES = Object.keys(DOCUMENT_TYPE_LABELS) as DocumentType[]

export function documentTypeLabel(type: DocumentType): string {
  return DOCUMENT_TYPE_LABELS[type] ?? type
}

export const DOCUMENT_STATUS_LABELS: Record<DocumentStatus, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  pending_approval: 'Pending approval',
  approved: 'Approved',
  rejected: 'Rejected',
  returned: 'Returned',
  clarification_requested: 'Clarification requested',
  cancelled: 'Cancelled',
}

export function documentStatusLabel(status: DocumentStatus): string {
  return DOCUMENT_STATUS_LABELS[status] ?? status
}

/** The badge colour class of a document status. */
export function documentStatusTone(status: DocumentStatus): 'on' | 'off' | 'warn' | 'bad' {
  switch (status) {
    case 'approved':
      return 'on'
    case 'rejected':
      return 'bad'
    case 'pending_approval':
    case 'submitted':
    case 'returned':
    case 'clarification_requested':
      return 'warn'
    default:
      return 'off'
  }
}

/**
 * What a budget does when a document asks for more than is available (the export's "When over
 * budget" column says the same: `budgets::export::enforcement_label`).
 */
export const ENFORCEMENT_LABELS: Record<Enforcement, string> = {
  HARD_BLOCK: 'Block the document',
  SOFT_WARNING: 'Warn and let it through',
  ESCALATE: 'Add the executive approval level',
  ROUTE_TO_FINANCE: 'Send it to a finance manager',
}

export function enforcementLabel(enforcement: Enforcement): string {
  return ENFORCEMENT_LABELS[enforcement] ?? enforcement
}

/** A budget ledger entry in words; a release says why (as `budgets::export::entry_label`). */
export function ledgerEntryLabel(kind: string, action: string | null): string {
  const words: Record<string, string> = {
    budget: 'Budget set',
    adjust: 'Budget changed',
    reserve: 'Reserved',
    commit: 'Committed',
    spend: 'Spent',
    release: 'Released',
    release_commitment: 'Commitment released',
  }
  const why: Record<string, string> = { reject: 'rejected', cancel: 'cancelled', return: 'returned' }
  const base = words[kind] ?? kind.replaceAll('_', ' ')
  return action ? `${base} (${why[action] ?? action})` : base
}

/** What a budget check found. */
export const CHECK_OUTCOME_LABELS: Record<CheckOutcome, string> = {
  available: 'Available',
  not_enough: 'Not enough',
  no_budget: 'No budget',
}
