import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { BudgetReport, FiscalYearUtilisation, MonthUtilisation, SyncRunView, UtilisationRow } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { FINANCE_USER, callsOf, commands, emitEvent } from '../test/tauri'
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
const MANAGER = { ...VIEWER, permissions: [...VIEWER.permissions, 'budget_manage' as const] }

function month(m: string, budgeted: string, used: string, future = false): MonthUtilisation {
  return { month: m, budgeted, reserved: '0', committed: '0', spent: used, used, future }
}

const YEAR: FiscalYearUtilisation = {
  fiscal_year: 'FY2026',
  currency: 'KES',
  department: null,
  budgets: 3,
  months: [
    month('2026-07', '100000', '20000'),
    month('2026-08', '200000', '150000'),
    month('2026-09', '300000', '150000', true),
  ],
}

function run(extra: Partial<SyncRunView> = {}): SyncRunView {
  return {
    id: 'run-1',
    started_at: '2026-07-01T06:00:00.000Z',
    finished_at: '2026-07-01T06:00:01.000Z',
    duration_ms: 1000,
    source: 'budgets.csv',
    format: 'csv',
    status: 'ok',
    rows_read: 8,
    created: 8,
    updated: 0,
    unchanged: 0,
    soft_deleted: 0,
    skipped: 0,
    errors: [],
    actor_email: 'admin@demo.test',
    ...extra,
  }
}

/** The page's read commands, answering with the fixtures. */
const READS = {
  budget_report: () => REPORT,
  budget_history: () => [],
  budget_year: () => YEAR,
  budget_sync_history: () => [run()],
}

describe('BudgetsPage', () => {
  it('renders utilisation from the report as stacked bars, grouped by period', async () => {
    commands(READS)
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
      ...READS,
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

  it('draws the fiscal year month by month and follows the department filter', async () => {
    commands(READS)
    app.session = VIEWER
    render(BudgetsPage)
    const chart = await found('#budget-year-chart')
    expect(chart.querySelectorAll('g.month')).toHaveLength(3)
    const budgeted = chart.querySelector('polyline.line-budgeted')!.getAttribute('points')!.split(' ')
    expect(budgeted).toHaveLength(3)
    // Used is drawn for past and current months only, and rises with the ledger.
    const used = chart.querySelector('polyline.line-used')!.getAttribute('points')!.split(' ')
    expect(used).toHaveLength(2)
    const y = (point: string) => Number(point.split(',')[1])
    expect(y(used[1])).toBeLessThan(y(used[0]))
    expect(chart.querySelector('g.month[data-month="2026-08"] title')!.textContent).toContain('used 150,000.00')
    expect(callsOf('budget_year')).toEqual([{ year: null, department: null }])

    await fireEvent.change(document.getElementById('budget-department')!, { target: { value: 'Sales' } })
    await waitFor(() => expect(callsOf('budget_year')).toEqual([{ year: null, department: null }, { year: null, department: 'Sales' }]))
  })

  it('lists the import history', async () => {
    commands({ ...READS, budget_sync_history: () => [run(), run({ id: 'run-2', status: 'failed', created: 0, errors: [{ line: 3, message: 'x' }] })] })
    app.session = VIEWER
    render(BudgetsPage)
    const failed = await found('#budget-sync-history tr[data-run-id="run-2"]')
    expect(failed.textContent).toContain('Nothing imported')
    expect(failed.textContent).toContain('1 error')
    expect(document.querySelector('#budget-sync-history tr[data-run-id="run-1"]')!.textContent).toContain('budgets.csv')
    expect(callsOf('budget_sync_history')).toEqual([{ limit: 10 }])
    // Importing needs budget_manage.
    expect(document.getElementById('budget-import-open')).toBeNull()
  })

  it('imports a file with a moving progress bar, then lists the rows to fix', async () => {
    let finish: (run: SyncRunView) => void = () => {}
    commands({
      ...READS,
      budget_import: () => new Promise<SyncRunView>((resolve) => (finish = resolve)),
    })
    app.session = MANAGER
    render(BudgetsPage)
    await fireEvent.click(await found('#budget-import-open'))
    await fireEvent.input(document.getElementById('budget-import-path')!, { target: { value: 'budgets.pdf' } })
    await fireEvent.submit(document.getElementById('budget-import')!)
    await waitFor(() => expect(document.body.textContent).toContain('.csv or .xlsx file'))
    expect(callsOf('budget_import')).toHaveLength(0)

    await fireEvent.input(document.getElementById('budget-import-path')!, { target: { value: ' /home/grace/budgets.xlsx ' } })
    await fireEvent.click(document.getElementById('budget-import-skip')!)
    await fireEvent.submit(document.getElementById('budget-import')!)
    await waitFor(() => expect(callsOf('budget_import')).toEqual([{ path: '/home/grace/budgets.xlsx', skip: true }]))
    const bar = await found('#budget-import-progress')
    expect(bar.getAttribute('aria-valuenow')).toBe('0')

    emitEvent('budget-import-progress', { stage: 'validating', done: 500, total: 1000 })
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('25'))
    expect(document.getElementById('budget-import-stage')!.textContent).toContain('Checking rows: 500 of 1,000 rows')
    emitEvent('budget-import-progress', { stage: 'writing', done: 500, total: 1000 })
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('75'))
    expect((bar.querySelector('span') as HTMLElement).style.width).toBe('75%')

    finish(
      run({
        status: 'partial',
        rows_read: 1000,
        created: 997,
        skipped: 2,
        errors: [
          { line: 3, message: "amount 'abc' is not a number: write it like 12500.00 (no currency sign)" },
          { line: 7, message: 'the period cell is a date (2025-03-01); type the period as text like 2025-03' },
          { line: 0, message: '2 rows were skipped, so budgets missing from the file were not archived' },
        ],
      }),
    )
    const result = await found('#budget-import-result')
    expect(result.getAttribute('data-status')).toBe('partial')
    expect(result.querySelector('[data-count="created"]')!.textContent).toBe('997 created')
    expect(result.querySelector('[data-count="skipped"]')!.textContent).toBe('2 skipped')
    const errors = [...document.querySelectorAll('#budget-import-errors li')].map((li) => li.textContent)
    expect(errors[0]).toBe("Line 3: amount 'abc' is not a number: write it like 12500.00 (no currency sign)")
    expect(errors[1]).toContain('Line 7: the period cell is a date')
    expect(errors[2]).not.toContain('Line 0')
    expect(bar.getAttribute('aria-valuenow')).toBe('100')
    // The history and the figures are read again after the import.
    await waitFor(() => expect(callsOf('budget_sync_history')).toHaveLength(2))
    await waitFor(() => expect(callsOf('budget_report').length).toBeGreaterThan(1))
  })
})
