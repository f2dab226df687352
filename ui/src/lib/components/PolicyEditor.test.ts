import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import ApprovalsPage from '../../screens/ApprovalsPage.svelte'
import type { PolicySpec, PolicyValidation, PolicyView, SessionInfo } from '../bindings'
import { fromSpec, toSpec } from '../policyForm'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { callsOf, commands, wireError } from '../../test/tauri'
import PolicyEditor from './PolicyEditor.svelte'

const CFO: SessionInfo = {
  user_id: 'u-cfo',
  email: 'cfo@demo.test',
  name: 'Peter Kamau',
  role: 'finance_manager',
  permissions: ['company_view', 'approval_policy_view', 'approval_policy_manage', 'approval_act', 'document_create'],
}

const SPEC: PolicySpec = {
  name: 'Two tiers',
  document_types: ['purchase_order'],
  module: null,
  currency: 'KES',
  allow_repeat_approver: false,
  levels: [
    {
      name: 'Reporting manager',
      approvers: [{ type: 'reporting_manager' }],
      mode: 'serial',
      sla_hours: 16,
      reminder: { after_hours: 8, max: 2 },
      escalation: { to: { type: 'manager' }, max: 1 },
      auto_approve_after_days: null,
      if_empty: 'admin',
    },
    {
      name: 'Finance',
      approvers: [{ type: 'role', role: 'finance_manager' }],
      mode: 'any_one',
      sla_hours: 24,
      reminder: null,
      escalation: null,
      auto_approve_after_days: null,
      if_empty: 'next_level',
    },
  ],
  rules: [
    { name: 'Small', when: [{ field: 'amount', op: '<=', value: 25000 }], levels: [1] },
    { name: 'Large', when: [{ field: 'amount', op: '>', value: '25000' }], levels: [1, 2] },
  ],
}

const VIEW: PolicyView = {
  id: 'pol-3',
  name: 'Two tiers',
  version: 3,
  document_types: ['purchase_order'],
  active_for: ['purchase_order'],
  levels: 2,
  rules: 2,
  imported_at: '2026-03-01T08:00:00Z',
  spec: SPEC,
}

const BAD: PolicyValidation = {
  ok: false,
  errors: [
    'Level 2 (\'Finance\') has sla_hours 0: use a positive number of business hours, e.g. 16.',
    "There is a gap between band 'Small' (from 0 up to 25000) and band 'Large' (over 30000 with no upper limit): amounts between 25000 and 30000 have no route. Make the second band start with '>' 25000.",
    'The policy needs a name.',
  ],
  issues: [
    { level: 2, rule: null, message: "Level 2 ('Finance') has sla_hours 0: use a positive number of business hours, e.g. 16." },
    {
      level: null,
      rule: 0,
      message:
        "There is a gap between band 'Small' (from 0 up to 25000) and band 'Large' (over 30000 with no upper limit): amounts between 25000 and 30000 have no route. Make the second band start with '>' 25000.",
    },
    { level: null, rule: null, message: 'The policy needs a name.' },
  ],
}

const OK: PolicyValidation = { ok: true, errors: [], issues: [] }

async function openTwoTiers() {
  render(PolicyEditor)
  await waitFor(() =>
    expect(document.querySelector('#policies-by-type tr[data-doc-type="purchase_order"]')!.textContent).toContain('v3'),
  )
  await fireEvent.click(document.querySelector('button[data-edit-type="purchase_order"]')!)
  return found<HTMLInputElement>('#policy-name')
}

describe('policy form conversion', () => {
  it('round-trips a spec and writes amounts as exact strings', () => {
    const form = fromSpec(SPEC)
    expect(form.rules[0].when[0]).toEqual({ field: 'amount', op: '<=', value: '25000', high: '' })
    form.rules[0].when[0].value = '25,000.50'
    form.rules[1].when[0] = { field: 'amount', op: 'BETWEEN', value: '25,000.51', high: '100000' }
    form.rules.push({ name: 'Capex', levels: [2, 1], when: [{ field: 'category', op: 'IN', value: 'capex, it', high: '' }] })
    form.levels[1].sla_hours = 'soon'
    form.levels[1].min_amount = '50,000'
    const spec = toSpec(form)
    expect(spec.rules[0].when[0].value).toBe('25000.50')
    expect(spec.rules[1].when[0].value).toEqual(['25000.51', '100000'])
    expect(spec.rules[2]).toEqual({ name: 'Capex', levels: [1, 2], when: [{ field: 'category', op: 'IN', value: ['capex', 'it'] }] })
    // Not a whole number: 0, so that the core's validator names the field.
    expect(spec.levels[1].sla_hours).toBe(0)
    expect(spec.levels[1].min_amount).toBe('50000')
    expect(spec.levels[1].max_amount).toBeNull()
    expect(spec.levels[0].reminder).toEqual({ after_hours: 8, max: 2 })
    expect(spec.levels[1].approvers).toEqual([{ type: 'role', role: 'finance_manager' }])
  })

  it('keeps an escalation that only notifies through a round trip (move stays the default)', () => {
    const form = fromSpec(SPEC)
    form.levels[0].escalation = true
    form.levels[0].escalation_to = 'manager'
    form.levels[0].escalation_mode = 'notify'
    const spec = toSpec(form)
    expect(spec.levels[0].escalation).toEqual({ to: { type: 'manager' }, max: 1, mode: 'notify' })
    expect(fromSpec(spec).levels[0].escalation_mode).toBe('notify')
    form.levels[0].escalation_mode = 'move'
    expect(toSpec(form).levels[0].escalation).toEqual({ to: { type: 'manager' }, max: 1 })
  })
})

describe('PolicyEditor', () => {
  it('lists the policy per document type and shows the validator messages next to their level and band', async () => {
    commands({
      policies_list: () => [VIEW],
      policy_validate: () => BAD,
    })
    app.session = CFO
    const name = await openTwoTiers()
    expect(name.value).toBe('Two tiers')
    expect(document.querySelectorAll('.policy-level')).toHaveLength(2)
    expect(document.querySelectorAll('.policy-rule')).toHaveLength(2)

    await fireEvent.click(document.getElementById('policy-validate')!)
    await waitFor(() => expect(callsOf('policy_validate')).toHaveLength(1))
    const level2 = await found('.policy-level[data-level="2"] .level-issues')
    expect(level2.getAttribute('role')).toBe('alert')
    expect(level2.textContent).toContain('has sla_hours 0')
    expect(document.querySelector('.policy-level[data-level="1"] .level-issues')).toBeNull()
    expect(document.querySelector('.policy-rule[data-rule="0"] .rule-issues')!.textContent).toContain("gap between band 'Small'")
    expect(document.querySelector('.policy-rule[data-rule="1"] .rule-issues')).toBeNull()
    expect(document.getElementById('policy-issues')!.textContent).toContain('The policy needs a name.')
    // The spec sent is the form's.
    expect((callsOf('policy_validate')[0].policy as PolicySpec).rules[0].when[0].value).toBe('25000')
  })

  it('does not save while the validator objects; saves a new version when it agrees', async () => {
    let verdict = BAD
    commands({
      policies_list: () => [VIEW],
      policy_validate: () => verdict,
      policy_save: ({ policy }) => ({ ...VIEW, id: 'pol-4', version: 4, spec: policy as PolicySpec }),
    })
    app.session = CFO
    const name = await openTwoTiers()
    await fireEvent.click(document.getElementById('policy-save')!)
    await found('.policy-level[data-level="2"] .level-issues')
    expect(callsOf('policy_save')).toHaveLength(0)
    expect(document.getElementById('policies-error')!.textContent).toContain('was not saved')

    verdict = OK
    await fireEvent.input(name, { target: { value: 'Two tiers, revised' } })
    const sla = document.querySelector<HTMLInputElement>('.policy-level[data-level="2"] .level-sla')!
    await fireEvent.input(sla, { target: { value: '20' } })
    // Ctrl+S saves from anywhere in the form.
    await fireEvent.keyDown(sla, { key: 's', ctrlKey: true })
    await waitFor(() => expect(callsOf('policy_save')).toHaveLength(1))
    const saved = callsOf('policy_save')[0].policy as PolicySpec
    expect(saved.name).toBe('Two tiers, revised')
    expect(saved.levels[1].sla_hours).toBe(20)
    expect((await found('#policies-notice')).textContent).toContain('version 4')
    expect(document.getElementById('policy-form')).toBeNull()
  })

  it('shows the core message when saving fails anyway', async () => {
    commands({
      policies_list: () => [VIEW],
      policy_validate: () => OK,
      policy_save: () => {
        throw wireError('permission_denied', 'Permission denied: cfo@demo.test may not import approval policies.')
      },
    })
    app.session = CFO
    await openTwoTiers()
    await fireEvent.click(document.getElementById('policy-save')!)
    await waitFor(() => expect(document.getElementById('policies-error')!.textContent).toContain('may not import approval policies'))
    expect(document.getElementById('policy-form')).not.toBeNull()
  })

  it('loads pasted policy JSON into the form, and shows a parse error inline', async () => {
    let parsed: PolicySpec | null = null
    commands({
      policies_list: () => [],
      policy_parse: ({ text }) => {
        if ((text as string).startsWith('{')) return (parsed = SPEC)
        throw wireError('invalid_input', 'The policy file is not valid policy JSON (expected value at line 1 column 1).')
      },
      policy_validate: () => OK,
    })
    app.session = CFO
    render(PolicyEditor)
    const text = await found<HTMLTextAreaElement>('#policy-import-text')
    await fireEvent.input(text, { target: { value: 'nonsense' } })
    await fireEvent.click(document.getElementById('policy-import-load')!)
    await waitFor(() => expect(document.getElementById('policy-import-error')!.textContent).toContain('not valid policy JSON'))

    await fireEvent.input(text, { target: { value: JSON.stringify(SPEC) } })
    await fireEvent.click(document.getElementById('policy-import-load')!)
    expect((await found<HTMLInputElement>('#policy-name')).value).toBe('Two tiers')
    expect(parsed).not.toBeNull()
    await waitFor(() => expect(document.getElementById('policy-ok')).not.toBeNull())
    expect(document.querySelector<HTMLInputElement>('input[data-policy-doc-type="purchase_order"]')!.checked).toBe(true)
  })

  it('adds and removes levels; rules drop the removed level', async () => {
    commands({ policies_list: () => [VIEW], policy_validate: () => OK })
    app.session = CFO
    await openTwoTiers()
    await fireEvent.click(document.getElementById('policy-add-level')!)
    expect(document.querySelectorAll('.policy-level')).toHaveLength(3)
    await waitFor(() => expect(document.activeElement?.id).toBe('level-3-name'))
    await fireEvent.click(document.querySelector('.policy-level[data-level="1"] .remove-level')!)
    await fireEvent.click(document.getElementById('policy-validate')!)
    await waitFor(() => expect(callsOf('policy_validate')).toHaveLength(1))
    const spec = callsOf('policy_validate')[0].policy as PolicySpec
    expect(spec.levels.map((l) => l.name)).toEqual(['Finance', 'Level 3'])
    expect(spec.rules.map((r) => r.levels)).toEqual([[], [1]])
  })

  it('is a tab of Approvals only for those who may manage policies', async () => {
    commands({
      approvals_inbox: () => [],
      documents_mine: () => [],
      policies_list: () => [VIEW],
    })
    app.session = { ...CFO, permissions: CFO.permissions.filter((p) => p !== 'approval_policy_manage') }
    const first = render(ApprovalsPage)
    await found('#tab-mine')
    expect(document.getElementById('tab-policies')).toBeNull()
    first.unmount()

    app.session = CFO
    render(ApprovalsPage)
    await fireEvent.click(await found('#tab-policies'))
    await found('#policies-by-type')
  })
})
