import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import type { BudgetCheckView } from '../bindings'
import { setTimeZone } from '../dates'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { FINANCE_USER, callsOf, commands, wireError } from '../../test/tauri'
import BudgetChecksPanel from './BudgetChecksPanel.svelte'

function check(id: string, extra: Partial<BudgetCheckView> = {}): BudgetCheckView {
  return {
    id,
    checked_at: '2026-12-02T05:30:00Z',
    request_id: '019a-doc-id',
    document_number: 'PO-000012',
    department: 'Operations',
    period: 'FY2026',
    amount: '25000.00',
    currency: 'KES',
    outcome: 'available',
    can_auto_approve: false,
    reason: 'Within budget. Available: KES 500,000.00, Requested: KES 25,000.00',
    budget_id: 'b-ops',
    asked_by: 'Brian Otieno',
    asked_by_email: 'storekeeper@demo.test',
    purpose: null,
    ...extra,
  }
}

const CHECKS = [
  check('c3', {
    checked_at: '2026-12-02T07:05:00Z',
    request_id: 'CHK-3',
    document_number: null,
    department: 'Administration',
    period: '2031-01',
    amount: '10.00',
    currency: null,
    outcome: 'no_budget',
    reason: 'No budget found for Administration in 2031-01.',
    budget_id: null,
    asked_by: 'Grace Wanjiru',
    asked_by_email: 'accountant@demo.test',
  }),
  check('c2', {
    request_id: 'CHK-2',
    document_number: null,
    department: 'Sales',
    period: '2026-09',
    amount: '900000000.00',
    outcome: 'not_enough',
    asked_by: 'Mercy Achieng',
    asked_by_email: 'sales.rep@demo.test',
  }),
  check('c1', { can_auto_approve: true }),
]

const cells = (id: string) => [...document.querySelectorAll(`tr[data-check-id="${id}"] td`)].map((td) => td.textContent!.trim())

describe('BudgetChecksPanel', () => {
  afterEach(() => setTimeZone(null))

  it('shows each check in words: company time, document number, result, auto-approval and who asked by name', async () => {
    commands({ budget_checks: () => CHECKS })
    app.session = FINANCE_USER
    setTimeZone('Africa/Nairobi')
    render(BudgetChecksPanel)
    await found('tr[data-check-id="c1"]')
    expect(cells('c3')).toEqual([
      '2 Dec 2026, 10:05',
      'CHK-3',
      'Administration 2031-01',
      '10.00',
      'No budget',
      'No',
      'Grace Wanjiru',
    ])
    expect(cells('c2').slice(3, 7)).toEqual(['KES 900,000,000.00', 'Not enough', 'No', 'Mercy Achieng'])
    expect(cells('c1').slice(1, 7)).toEqual(['PO-000012', 'Operations FY2026', 'KES 25,000.00', 'Available', 'Yes', 'Brian Otieno'])
    const table = document.getElementById('budget-checks-table')!.textContent!
    expect(table).not.toContain('@demo.test')
    expect(table).not.toMatch(/not_enough|no_budget|available/)
    // The answer's words on hover, the email on the name.
    expect(document.querySelector('tr[data-check-id="c2"] .status')!.getAttribute('title')).toBe(CHECKS[1].reason)
    expect(document.querySelector('tr[data-check-id="c3"] td:last-child')!.getAttribute('title')).toBe('accountant@demo.test')
    expect(callsOf('budget_checks')).toEqual([{ query: { budget_id: null, request_id: null, limit: 50 } }])
  })

  it("narrows to one document and to the budget it is given, and says when there is nothing", async () => {
    commands({ budget_checks: (args) => ((args.query as { request_id: string | null }).request_id ? [] : CHECKS) })
    app.session = FINANCE_USER
    render(BudgetChecksPanel, { budget: { id: 'b-ops', label: 'Operations FY2026' } })
    await found('tr[data-check-id="c1"]')
    expect(document.querySelector('#budget-checks h2')!.textContent).toBe('Budget checks — Operations FY2026')
    await fireEvent.input(document.getElementById('budget-checks-document')!, { target: { value: ' PO-000099 ' } })
    await fireEvent.submit(document.querySelector('#budget-checks form')!)
    await waitFor(() => expect(document.getElementById('budget-checks-table')!.textContent).toContain('No checks for PO-000099.'))
    expect(callsOf('budget_checks')).toEqual([
      { query: { budget_id: 'b-ops', request_id: null, limit: 50 } },
      { query: { budget_id: 'b-ops', request_id: 'PO-000099', limit: 50 } },
    ])
    await fireEvent.click(document.getElementById('budget-checks-clear')!)
    await found('tr[data-check-id="c1"]')
    expect(callsOf('budget_checks')).toHaveLength(3)
  })

  it('offers older checks when a page is full, and shows why the core refused', async () => {
    const page = Array.from({ length: 50 }, (_, i) => check(`p${i}`))
    commands({ budget_checks: (args) => ((args.query as { limit: number }).limit === 50 ? page : [...page, check('older')]) })
    app.session = FINANCE_USER
    render(BudgetChecksPanel)
    await fireEvent.click(await found('#budget-checks-more'))
    await found('tr[data-check-id="older"]')
    expect(callsOf('budget_checks').at(-1)).toEqual({ query: { budget_id: null, request_id: null, limit: 100 } })
    expect(document.getElementById('budget-checks-more')).toBeNull()

    commands({
      budget_checks: () => {
        throw wireError('permission_denied', 'Permission denied: budget b-sales belongs to another department. Ask finance.')
      },
    })
    render(BudgetChecksPanel, { budget: { id: 'b-sales', label: 'Sales FY2026' } })
    await waitFor(() => expect(document.body.textContent).toContain('belongs to another department'))
  })
})
