import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { BudgetReport, UtilisationRow } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { FINANCE_USER, callsOf, commands } from '../test/tauri'
import BudgetsPage from './BudgetsPage.svelte'

function row(id: string, department: string, period: string, extra: Partial<UtilisationRow> = {}): UtilisationRow {
  return {
    budget_id: id,
    department,
    period,
    category: null,
    project: null,
    currency: 'KES',
    enforcement: 'SOFT_WARNING',
    balance: { budgeted: '1000000.00', available: '150000.00', reserved: '100000.00', committed: '250000.00', spent: '500000.00' },
    percent_used: '85.0',
    percent_reserved: '10.0',
    percent_committed: '25.0',
    percent_spent: '50.0',
    variance: '500000.00',
    variance_percent: '50.0',
    over_budget: false,
    ...extra,
  }
}

const REPORT: BudgetReport = {
  period: null,
  rows: [
    row('b-ops', 'Operations', 'FY2026'),
    row('b-sales', 'Sales', 'FY2026', { percent_used: '112.0', over_budget: true }),
    row('b-ops-q1', 'Operations', '2026-Q1', { category: 'Fuel' }),
  ],
  checks: { checks: 0, available: 0, no_budget: 0, success_rate_percent: null },
}

const VIEWER = { ...FINANCE_USER, permissions: [...FINANCE_USER.permissions, 'budget_view' as const] }

describe('BudgetsPage', () => {
  it('renders utilisation from the report as stacked bars, grouped by period', async () => {
    commands({ budget_report: () => REPORT, budget_history: () => [] })
    app.session = VIEWER
    render(BudgetsPage)
    const ops = await found('#budgets-table tr[data-budget-id="b-ops"]')
    expect(ops.textContent).toContain('1,000,000.00')
    expect(ops.textContent).toContain('85.0%')
    const segs = ops.querySelectorAll<HTMLElement>('.util-bar .seg')
    expect([...segs].map((s) => s.style.width)).toEqual(['50%', '25%', '10%'])
    expect(document.querySelector('tr[data-budget-id="b-sales"]')!.textContent).toContain('Over budget')
    expect(document.querySelectorAll('#budgets-table tbody[data-period]')).toHaveLength(2)
    expect(document.querySelectorAll('#budget-chart g')).toHaveLength(2)

    await fireEvent.change(document.getElementById('budget-department')!, { target: { value: 'Sales' } })
    await waitFor(() => expect(document.querySelector('tr[data-budget-id="b-ops"]')).toBeNull())
    expect(document.querySelector('tr[data-budget-id="b-sales"]')).not.toBeNull()

    await fireEvent.change(document.getElementById('budget-period')!, { target: { value: 'FY2026' } })
    await waitFor(() => expect(callsOf('budget_report')).toEqual([{ period: null }, { period: 'FY2026' }]))
  })

  it('drills down into one budget ledger', async () => {
    commands({
      budget_report: () => REPORT,
      budget_history: () => [
        {
          id: 'l1',
          budget_id: 'b-ops',
          seq: 1,
          kind: 'budget',
          request_id: null,
          reservation_id: null,
          action: null,
          amount: '1000000.00',
          is_override: false,
          reason: 'Imported',
          available_after: '1000000.00',
          actor_email: 'admin@demo.test',
          at: '2026-01-05T08:00:00Z',
        },
      ],
    })
    app.session = VIEWER
    render(BudgetsPage)
    const button = await found('button[data-ledger="b-ops"]')
    await fireEvent.click(button)
    await waitFor(() => expect(document.querySelector('#budget-ledger tr[data-seq="1"]')).not.toBeNull())
    expect(callsOf('budget_history')).toEqual([{ id: 'b-ops' }])
  })

  it('explains when the role cannot view budgets', () => {
    commands({})
    app.session = FINANCE_USER
    render(BudgetsPage)
    expect(document.body.textContent).toContain('does not include viewing budgets')
    expect(callsOf('budget_report')).toHaveLength(0)
  })
})
