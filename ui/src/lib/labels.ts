import type { Permission, Role } from './bindings'

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

/** A stored timestamp (RFC 3339) as a short local date and time; unparseable text as is. */
export function formatDateTime(text: string): string {
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) return text
  return date.toLocaleString('en-KE', { dateStyle: 'medium', timeStyle: 'short' })
}
