import { render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { SessionInfo } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { commands } from '../test/tauri'
import DashboardPage from './DashboardPage.svelte'

const CFO: SessionInfo = {
  user_id: 'u-cfo',
  email: 'cfo@demo.test',
  name: 'Peter Kamau',
  role: 'finance_manager',
  permissions: ['company_view', 'approval_act', 'budget_view'],
}

const balance = { budgeted: '100.00', available: '0.00', reserved: '0.00', committed: '0.00', spent: '100.00' }
const util = (department: string, percent: string, over: boolean) => ({
  budget_id: `b-${department}-${percent}`,
  department,
  period: 'FY2026',
  category: null,
  project: null,
  currency: 'KES',
  enforcement: 'SOFT_WARNING',
  balance,
  percent_used: percent,
  percent_reserved: '0.0',
  percent_committed: '0.0',
  percent_spent: percent,
  variance: '0.00',
  variance_percent: '0.0',
  over_budget: over,
})

describe('DashboardPage', () => {
  it('shows pending, overdue and departments over 80% / over budget', async () => {
    commands({
      company_info: () => {
        throw { kind: 'internal', message: 'not needed' }
      },
      approvals_inbox: () => [{ overdue: true }, { overdue: false }, { overdue: false }],
      budget_report: () => ({
        period: null,
        rows: [util('Operations', '85.0', false), util('Sales', '120.0', true), util('IT', '20.0', false)],
        checks: { checks: 0, available: 0, no_budget: 0, success_rate_percent: null },
      }),
    })
    app.session = CFO
    render(DashboardPage)
    await waitFor(() => expect(document.querySelector('#figure-pending .figure-value')?.textContent).toBe('3'))
    expect(document.querySelector('#figure-overdue .figure-value')!.textContent).toBe('1')
    await waitFor(() => expect(document.querySelector('#figure-over-80')!.textContent).toContain('Operations'))
    expect(document.querySelector('#figure-over-80 .figure-value')!.textContent).toBe('1')
    expect(document.querySelector('#figure-over-budget')!.textContent).toContain('Sales')
  })
})
