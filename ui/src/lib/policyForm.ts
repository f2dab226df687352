// The policy editor's form model and its conversion to and from the core's `PolicySpec`.
// Numbers in the form are text (what the inputs hold); hours, counts and days become whole
// numbers, and anything that is not one becomes 0 so that the core's validator names the field
// ("has sla_hours 0: use a positive number…") instead of the UI guessing. Condition values stay
// strings: the core reads "25000" and 25000 alike, and strings keep amounts exact.
import type {
  ApproverSpec,
  Condition,
  DocumentType,
  EscalationMode,
  EmptyApprover,
  EscalationTarget,
  LevelMode,
  LevelSpec,
  Op,
  PolicyIssue,
  PolicySpec,
  Role,
  RuleSpec,
} from './bindings'

export const OPS: readonly Op[] = ['=', '>', '>=', '<', '<=', 'BETWEEN', 'IN']
export const FIELDS = ['amount', 'category', 'project', 'department'] as const
export const MAX_LEVELS = 5

export const APPROVER_TYPES: { value: ApproverSpec['type']; label: string }[] = [
  { value: 'reporting_manager', label: "Requester's reporting manager" },
  { value: 'department_head', label: 'Head of the department' },
  { value: 'role', label: 'Users with a role' },
  { value: 'designation', label: 'Users with a designation' },
  { value: 'user', label: 'A specific user (email)' },
]
export const MODES: { value: LevelMode; label: string }[] = [
  { value: 'serial', label: 'Serial (one after another, all approve)' },
  { value: 'parallel', label: 'Parallel (all at once, all approve)' },
  { value: 'any_one', label: 'Any one of them' },
]
export const IF_EMPTY: { value: EmptyApprover; label: string }[] = [
  { value: 'fail', label: 'Refuse the submission' },
  { value: 'next_level', label: 'Fall back to the next level' },
  { value: 'admin', label: 'Route to the admins' },
]
export const ESCALATE_TO: { value: EscalationTarget['type']; label: string }[] = [
  { value: 'manager', label: "The approver's manager" },
  { value: 'next_level', label: 'The next level' },
  { value: 'user', label: 'A named user' },
]

export type ApproverForm = { type: ApproverSpec['type']; value: string }
export type LevelForm = {
  name: string
  approvers: ApproverForm[]
  mode: LevelMode
  sla_hours: string
  reminder: boolean
  reminder_after: string
  reminder_max: string
  escalation: boolean
  escalation_to: EscalationTarget['type']
  escalation_email: string
  escalation_max: string
  /** `move` hands the overdue step over; `notify` leaves it and tells the target. */
  escalation_mode: EscalationMode
  auto_approve_days: string
  if_empty: EmptyApprover
  /** The level's own amount band (empty = no limit). */
  min_amount: string
  max_amount: string
}
export type ConditionForm = { field: string; op: Op; value: string; high: string }
export type RuleForm = { name: string; levels: number[]; when: ConditionForm[] }
export type PolicyForm = {
  name: string
  document_types: DocumentType[]
  module: string
  currency: string
  allow_repeat_approver: boolean
  levels: LevelForm[]
  rules: RuleForm[]
}

export function newLevel(n: number): LevelForm {
  return {
    name: n === 1 ? 'Reporting manager' : `Level ${n}`,
    approvers: [{ type: 'reporting_manager', value: '' }],
    mode: 'serial',
    sla_hours: '16',
    reminder: false,
    reminder_after: '8',
    reminder_max: '2',
    escalation: false,
    escalation_to: 'manager',
    escalation_email: '',
    escalation_max: '1',
    escalation_mode: 'move',
    auto_approve_days: '',
    if_empty: 'fail',
    min_amount: '',
    max_amount: '',
  }
}

export function newCondition(): ConditionForm {
  return { field: 'amount', op: '<=', value: '', high: '' }
}

export function newRule(n: number, levels: number[] = [1]): RuleForm {
  return { name: `Rule ${n}`, levels, when: [] }
}

export function blankPolicy(): PolicyForm {
  return {
    name: '',
    document_types: [],
    module: '',
    currency: 'KES',
    allow_repeat_approver: false,
    levels: [newLevel(1)],
    rules: [{ name: 'Every document', levels: [1], when: [] }],
  }
}

/** A whole number from an input, or `fallback` when it is not one. */
function whole(text: string, fallback = 0): number {
  const t = text.trim()
  return /^-?\d+$/.test(t) ? Number.parseInt(t, 10) : fallback
}

function text(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : String(value)
}

/** Amounts may be typed with thousands separators: "25,000" → "25000". */
function conditionValue(field: string, value: string): string {
  const v = value.trim()
  return field === 'amount' ? v.replace(/[,\s]/g, '') : v
}

function approverSpec(a: ApproverForm): ApproverSpec {
  switch (a.type) {
    case 'user':
      return { type: 'user', email: a.value.trim() }
    case 'role':
      return { type: 'role', role: (a.value || 'approver') as Role }
    case 'designation':
      return { type: 'designation', designation: a.value.trim() }
    default:
      return { type: a.type }
  }
}

function levelSpec(l: LevelForm): LevelSpec {
  const escalationTo: EscalationTarget =
    l.escalation_to === 'user' ? { type: 'user', email: l.escalation_email.trim() } : { type: l.escalation_to }
  return {
    name: l.name.trim(),
    approvers: l.approvers.map(approverSpec),
    mode: l.mode,
    sla_hours: whole(l.sla_hours),
    reminder: l.reminder ? { after_hours: whole(l.reminder_after), max: whole(l.reminder_max) } : null,
    escalation: l.escalation
      ? {
          to: escalationTo,
          max: whole(l.escalation_max),
          // `move` is the core's default and is left out, as a saved policy does.
          ...(l.escalation_mode === 'notify' ? { mode: 'notify' as const } : {}),
        }
      : null,
    auto_approve_after_days: l.auto_approve_days.trim() === '' ? null : whole(l.auto_approve_days),
    if_empty: l.if_empty,
    min_amount: optionalAmount(l.min_amount),
    max_amount: optionalAmount(l.max_amount),
  }
}

/** An amount field: empty = none; thousands separators dropped; the core checks the rest. */
function optionalAmount(value: string): string | null {
  const v = value.trim().replace(/[,\s]/g, '')
  return v === '' ? null : v
}

function conditionSpec(c: ConditionForm): Condition {
  const field = c.field.trim()
  let value: unknown
  if (c.op === 'BETWEEN') value = [conditionValue(field, c.value), conditionValue(field, c.high)]
  else if (c.op === 'IN')
    // A list is comma-separated, so amounts in it are written without thousands separators.
    value = c.value
      .split(',')
      .map((v) => conditionValue(field, v))
      .filter((v) => v !== '')
  else value = conditionValue(field, c.value)
  return { field, op: c.op, value }
}

function ruleSpec(r: RuleForm): RuleSpec {
  return { name: r.name.trim(), levels: [...r.levels].sort((a, b) => a - b), when: r.when.map(conditionSpec) }
}

export function toSpec(form: PolicyForm): PolicySpec {
  return {
    name: form.name.trim(),
    document_types: [...form.document_types],
    module: form.module.trim() === '' ? null : form.module.trim(),
    currency: form.currency.trim().toUpperCase(),
    allow_repeat_approver: form.allow_repeat_approver,
    levels: form.levels.map(levelSpec),
    rules: form.rules.map(ruleSpec),
  }
}

function approverForm(a: ApproverSpec): ApproverForm {
  switch (a.type) {
    case 'user':
      return { type: 'user', value: a.email }
    case 'role':
      return { type: 'role', value: a.role }
    case 'designation':
      return { type: 'designation', value: a.designation }
    default:
      return { type: a.type, value: '' }
  }
}

function conditionForm(c: Condition): ConditionForm {
  if (Array.isArray(c.value)) {
    if (c.op === 'BETWEEN') return { field: c.field, op: c.op, value: text(c.value[0]), high: text(c.value[1]) }
    return { field: c.field, op: c.op, value: c.value.map(text).join(', '), high: '' }
  }
  return { field: c.field, op: c.op, value: text(c.value), high: '' }
}

export function fromSpec(spec: PolicySpec): PolicyForm {
  return {
    name: spec.name,
    document_types: [...spec.document_types],
    module: spec.module ?? '',
    currency: spec.currency,
    allow_repeat_approver: spec.allow_repeat_approver,
    levels: spec.levels.map((l) => ({
      name: l.name,
      approvers: l.approvers.map(approverForm),
      mode: l.mode,
      sla_hours: String(l.sla_hours),
      reminder: l.reminder !== null,
      reminder_after: String(l.reminder?.after_hours ?? 8),
      reminder_max: String(l.reminder?.max ?? 2),
      escalation: l.escalation !== null,
      escalation_to: l.escalation?.to.type ?? 'manager',
      escalation_email: l.escalation?.to.type === 'user' ? l.escalation.to.email : '',
      escalation_max: String(l.escalation?.max ?? 1),
      escalation_mode: l.escalation?.mode ?? 'move',
      auto_approve_days: l.auto_approve_after_days === null ? '' : String(l.auto_approve_after_days),
      if_empty: l.if_empty,
      min_amount: l.min_amount ?? '',
      max_amount: l.max_amount ?? '',
    })),
    rules: spec.rules.map((r) => ({ name: r.name, levels: [...r.levels], when: r.when.map(conditionForm) })),
  }
}

/** The validator's issues split by where the editor shows them. */
export function placeIssues(issues: PolicyIssue[]): {
  general: string[]
  levels: Map<number, string[]>
  rules: Map<number, string[]>
} {
  const general: string[] = []
  const levels = new Map<number, string[]>()
  const rules = new Map<number, string[]>()
  const add = (map: Map<number, string[]>, key: number, message: string) =>
    map.set(key, [...(map.get(key) ?? []), message])
  for (const issue of issues) {
    if (issue.level !== null) add(levels, issue.level, issue.message)
    else if (issue.rule !== null) add(rules, issue.rule, issue.message)
    else general.push(issue.message)
  }
  return { general, levels, rules }
}

/** Removes level `n` (1-based): rules drop it and renumber the levels after it. */
export function removeLevel(form: PolicyForm, n: number): PolicyForm {
  return {
    ...form,
    levels: form.levels.filter((_, i) => i !== n - 1),
    rules: form.rules.map((r) => ({
      ...r,
      levels: r.levels.filter((l) => l !== n).map((l) => (l > n ? l - 1 : l)),
    })),
  }
}
