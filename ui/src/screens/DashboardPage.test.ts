import { render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { SessionInfo, SlaCompliance } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { callsOf, commands } from '../test/tauri'
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

  it('shows SLA compliance for the last 30 days, or that there are no decisions yet', async () => {
    let sla: SlaCompliance = { days: 30, scope: 'company', decided: 8, met: 7, percent: '87.5' }
    commands({
      company_info: () => {
        throw { kind: 'internal', message: 'not needed' }
      },
      approvals_inbox: () => [],
      approvals_sla: () => sla,
    })
    app.session = { ...CFO, permissions: ['company_view', 'approval_act'] }
    const first = render(DashboardPage)
    await waitFor(() => expect(document.querySelector('#figure-sla .figure-value')?.textContent).toBe('87.5%'))
    expect(document.getElementById('figure-sla')!.textContent).toContain('7 of 8 decisions on time, last 30 days')
    expect(callsOf('approvals_sla')).toEqual([{ days: 30 }])
    first.unmount()

    sla = { days: 30, scope: 'mine', decided: 0, met: 0, percent: null }
    render(DashboardPage)
    await waitFor(() => expect(document.getElementById('figure-sla')!.textContent).toContain('No decisions yet'))
    expect(document.querySelector('#figure-sla .figure-value')!.textContent).toBe('—')
  })
})
