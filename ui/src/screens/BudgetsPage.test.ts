import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { open, save } from '@tauri-apps/plugin-dialog'
import { describe, expect, it, vi } from 'vitest'
import type {
  BudgetReport,
  FiscalYearUtilisation,
  LedgerEntryView,
  LedgerOutcome,
  MonthUtilisation,
  SyncRunView,
  UtilisationRow,
} from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { found } from '../test/dom'
import { FINANCE_USER, callsOf, commands, emitEvent, wireError } from '../test/tauri'
import BudgetsPage from './BudgetsPage.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

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

/** A signed-in user with no budget permission; the sessions below add them one by one. */
const NO_BUDGETS = { ...FINANCE_USER, permissions: ['company_view' as const, 'user_view' as const, 'department_view' as const] }
const VIEWER = { ...NO_BUDGETS, permissions: [...NO_BUDGETS.permissions, 'budget_view' as const] }
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
    warnings: [],
    missing_from_file: [],
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
  budget_checks: () => [],
}

/** An approver: may reserve and release their own requests, not give back committed money. */
const APPROVER = {
  ...VIEWER,
  permissions: [...VIEWER.permissions, 'budget_check' as const, 'budget_reserve' as const, 'budget_release_own' as const],
}
const FINANCE = { ...APPROVER, permissions: [...APPROVER.permissions, 'budget_release_any' as const] }

function outcome(extra: Partial<LedgerOutcome> = {}): LedgerOutcome {
  return {
    id: 'l2',
    budget_id: 'b-ops',
    request_id: 'PO-000012',
    reservation_id: 'r1',
    currency: 'KES',
    decision: { kind: 'within_budget' },
    balance: { budgeted: '1000000.00', available: '125000.00', reserved: '125000.00', committed: '250000.00', spent: '500000.00' },
    held: '25000.00',
    committed: '0',
    ...extra,
  }
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

  it('totals each period exactly, per currency, and explains the fiscal periods', async () => {
    commands({
      ...READS,
      budget_report: () => ({
        ...REPORT,
        rows: [
          ...REPORT.rows,
          row('b-hr', 'People', 'FY2026', {
            balance: { budgeted: '0.10', available: '0.20', reserved: '0', committed: '0', spent: '0' },
          }),
          row('b-usd', 'Exports', 'FY2026', { currency: 'USD' }),
        ],
      }),
      company_info: () => ({ fiscal_year_start_month: 7 }),
    })
    app.session = VIEWER
    render(BudgetsPage)
    const kes = await found('tr[data-totals="FY2026"][data-currency="KES"]')
    const cells = [...kes.querySelectorAll('td')].map((c) => c.textContent)
    // 1,000,000.00 × 2 + 0.10 exactly; USD is never added to KES.
    expect(cells.slice(0, 5)).toEqual(['2,000,000.10', '200,000.00', '500,000.00', '1,000,000.00', '300,000.20'])
    expect(kes.textContent).toContain('Total FY2026 (KES)')
    expect(document.querySelector('tr[data-totals="FY2026"][data-currency="USD"]')).not.toBeNull()
    // One budget in a period needs no totals row.
    expect(document.querySelector('tr[data-totals="2026-Q1"]')).toBeNull()
    await waitFor(() => expect(document.querySelector('tbody[data-period="FY2026"] .period-span')!.textContent).toBe('1 Jul 2026 – 30 Jun 2027'))
    expect(document.querySelector('tbody[data-period="2026-Q1"] .period-span')!.textContent).toBe('1 Jul 2026 – 30 Sep 2026')
  })

  it('drills down into one budget ledger: entries in words, people by name, documents by number', async () => {
    const entry = (seq: number, extra: Partial<LedgerEntryView>): LedgerEntryView => ({
      id: `l${seq}`,
      budget_id: 'b-ops',
      seq,
      kind: 'budget',
      request_id: null,
      document_number: null,
      reservation_id: null,
      action: null,
      amount: '1000000.00',
      is_override: false,
      reason: 'Imported',
      available_after: '1000000.00',
      actor_email: 'admin@demo.test',
      actor_name: 'Amina Odhiambo',
      at: '2026-01-05T08:00:00Z',
      ...extra,
    })
    commands({
      ...READS,
      budget_history: () => [
        entry(1, {}),
        entry(2, {
          kind: 'reserve',
          request_id: '019a-doc-id',
          document_number: 'PO-000012',
          amount: '25000.00',
          available_after: '975000.00',
          reason: 'PO-000012 submitted, via approval',
          actor_email: 'storekeeper@demo.test',
          actor_name: 'Brian Otieno',
        }),
        entry(3, {
          kind: 'release',
          action: 'reject',
          request_id: '019a-doc-id',
          document_number: 'PO-000012',
          amount: '25000.00',
          reason: 'PO-000012 rejected, via approval',
          actor_email: 'ops.manager@demo.test',
          actor_name: 'John Mwangi',
        }),
        entry(4, { kind: 'commit', is_override: true, request_id: 'PR-7', reason: null, actor_email: 'system', actor_name: 'Hesabu (scheduled work)' }),
      ],
    })
    app.session = VIEWER
    render(BudgetsPage)
    const button = await found('button[data-ledger="b-ops"]')
    await fireEvent.click(button)
    await waitFor(() => expect(document.querySelector('#budget-ledger tr[data-seq="4"]')).not.toBeNull())
    expect(callsOf('budget_history')).toEqual([{ id: 'b-ops' }])
    const cells = (seq: number) =>
      [...document.querySelectorAll(`#budget-ledger tr[data-seq="${seq}"] td`)].map((td) => td.textContent!.trim())
    expect(cells(1)[2]).toBe('Budget set')
    expect(cells(2).slice(2, 4)).toEqual(['Reserved', 'PO-000012'])
    expect(cells(2)[6]).toBe('Brian Otieno')
    expect(cells(3)[2]).toBe('Released (rejected)')
    expect(cells(3)[6]).toBe('John Mwangi')
    expect(cells(4)[2]).toMatch(/^Committed\s*Override$/)
    expect(cells(4)[3]).toBe('PR-7')
    const ledger = document.getElementById('budget-ledger')!.textContent!
    expect(ledger).not.toContain('@demo.test')
    expect(ledger).not.toMatch(/\breserve\b|\brelease\b/)
    // The budget's mode in words, not SOFT_WARNING.
    expect(document.getElementById('budget-ledger-mode')!.textContent).toContain('Warn and let it through')
    // The check log follows the open ledger's budget.
    await waitFor(() =>
      expect(callsOf('budget_checks').at(-1)).toEqual({ query: { budget_id: 'b-ops', request_id: null, limit: 50 } }),
    )
    expect(document.querySelector('#budget-checks h2')!.textContent).toContain('Operations FY2026')
  })

  it('explains when the role cannot view budgets', () => {
    commands({})
    app.session = NO_BUDGETS
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

  it('previews an import with a moving progress bar, lists the rows to fix, and imports only when confirmed', async () => {
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
    await waitFor(() =>
      expect(callsOf('budget_import')).toEqual([{ path: '/home/grace/budgets.xlsx', skip: true, archive: false, preview: true }]),
    )
    const bar = await found('#budget-import-progress')
    expect(bar.getAttribute('aria-valuenow')).toBe('0')

    emitEvent('budget-import-progress', { stage: 'validating', done: 500, total: 1000 })
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('25'))
    expect(document.getElementById('budget-import-stage')!.textContent).toContain('Checking rows: 500 of 1,000 rows')
    emitEvent('budget-import-progress', { stage: 'writing', done: 500, total: 1000 })
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('75'))
    expect((bar.querySelector('span') as HTMLElement).style.width).toBe('75%')

    const partial = {
      status: 'partial',
      rows_read: 1000,
      created: 997,
      skipped: 2,
      errors: [
        { line: 3, message: "amount 'abc' is not a number: write it like 12500.00 (no currency sign)" },
        { line: 7, message: 'the period cell is a date (2025-03-01); type the period as text like 2025-03' },
      ],
      warnings: [
        { line: 4, message: "category starts with '=': kept as text" },
        { line: 0, message: '2 rows were skipped, so budgets missing from the file were not archived' },
      ],
    }
    finish(run({ ...partial, id: '' }))
    const preview = await found('#budget-import-preview')
    expect(preview.getAttribute('data-status')).toBe('partial')
    expect(preview.textContent).toContain('Nothing has changed yet')
    expect(preview.querySelector('[data-count="created"]')!.textContent).toBe('997 created')
    expect(preview.querySelector('[data-count="skipped"]')!.textContent).toBe('2 skipped')
    const errors = [...document.querySelectorAll('#budget-import-errors li')].map((li) => li.textContent)
    expect(errors[0]).toBe("Line 3: amount 'abc' is not a number: write it like 12500.00 (no currency sign)")
    expect(errors[1]).toContain('Line 7: the period cell is a date')
    const warnings = [...document.querySelectorAll('#budget-import-warnings li')].map((li) => li.textContent)
    expect(warnings[0]).toBe("Line 4: category starts with '=': kept as text")
    expect(warnings[1]).not.toContain('Line 0')
    expect(bar.getAttribute('aria-valuenow')).toBe('100')
    // Nothing was imported: no result, the history is not read again.
    expect(document.getElementById('budget-import-result')).toBeNull()
    expect(callsOf('budget_sync_history')).toHaveLength(1)

    await fireEvent.click(document.getElementById('budget-import-confirm')!)
    await waitFor(() => expect(callsOf('budget_import')).toHaveLength(2))
    expect(callsOf('budget_import')[1]).toEqual({ path: '/home/grace/budgets.xlsx', skip: true, archive: false, preview: false })
    finish(run(partial))
    const result = await found('#budget-import-result')
    expect(result.getAttribute('data-status')).toBe('partial')
    expect(result.querySelector('[data-count="created"]')!.textContent).toBe('997 created')
    expect(document.getElementById('budget-import-preview')).toBeNull()
    // The history and the figures are read again after the import.
    await waitFor(() => expect(callsOf('budget_sync_history')).toHaveLength(2))
    await waitFor(() => expect(callsOf('budget_report').length).toBeGreaterThan(1))
  })

  it('never archives silently: the preview names every budget the file leaves out before the import archives them', async () => {
    const missing = ['Operations 2026-Q1 Fuel', 'Sales FY2026']
    commands({
      ...READS,
      budget_import: (args) =>
        run({
          id: args.preview ? '' : 'run-2',
          created: 1,
          updated: 2,
          soft_deleted: args.archive ? missing.length : 0,
          missing_from_file: missing,
        }),
    })
    app.session = MANAGER
    render(BudgetsPage)
    await fireEvent.click(await found('#budget-import-open'))
    await fireEvent.input(document.getElementById('budget-import-path')!, { target: { value: '/home/grace/budgets.csv' } })
    await fireEvent.submit(document.getElementById('budget-import')!)
    const head = await found('#budget-import-missing-head')
    expect(head.textContent).toContain('2 budgets are not in the file and would stay active')
    expect([...document.querySelectorAll('#budget-import-missing li')].map((li) => li.textContent)).toEqual(missing)
    expect(document.getElementById('budget-import-confirm')!.textContent).toContain('Import')
    expect(document.getElementById('budget-import-confirm')!.textContent).not.toContain('archive')

    // Ticking the box previews again with it, and the button says what it will do.
    await fireEvent.click(document.getElementById('budget-import-archive')!)
    await waitFor(() => expect(callsOf('budget_import')).toHaveLength(2))
    expect(callsOf('budget_import')[1]).toEqual({ path: '/home/grace/budgets.csv', skip: false, archive: true, preview: true })
    await waitFor(() =>
      expect(document.getElementById('budget-import-missing-head')!.textContent).toContain(
        '2 budgets are not in the file and would be archived',
      ),
    )
    const preview = document.getElementById('budget-import-preview')!
    expect(preview.querySelector('[data-count="soft_deleted"]')!.textContent).toBe('2 would be archived')
    const confirm = document.getElementById('budget-import-confirm')!
    expect(confirm.textContent).toContain('Import and archive 2')
    expect(callsOf('budget_import').every((c) => c.preview === true)).toBe(true)

    await fireEvent.click(confirm)
    await waitFor(() => expect(callsOf('budget_import')).toHaveLength(3))
    expect(callsOf('budget_import')[2]).toEqual({ path: '/home/grace/budgets.csv', skip: false, archive: true, preview: false })
    const result = await found('#budget-import-result')
    expect(result.querySelector('[data-count="soft_deleted"]')!.textContent).toBe('2 archived')
  })

  it('chooses the file in the system dialog, keeping the typed path as the fallback', async () => {
    vi.mocked(open).mockReset()
    vi.mocked(open).mockResolvedValueOnce('/home/grace/Documents/budgets FY2027.xlsx').mockResolvedValueOnce(null)
    commands({ ...READS, budget_import: () => run({ id: '' }) })
    app.session = MANAGER
    render(BudgetsPage)
    await fireEvent.click(await found('#budget-import-open'))
    await fireEvent.click(document.getElementById('budget-import-choose')!)
    const path = document.getElementById('budget-import-path') as HTMLInputElement
    await waitFor(() => expect(path.value).toBe('/home/grace/Documents/budgets FY2027.xlsx'))
    expect(vi.mocked(open).mock.calls[0][0]).toMatchObject({ multiple: false, directory: false, title: 'Import budgets' })
    // Cancelling the dialog keeps what is there.
    await fireEvent.click(document.getElementById('budget-import-choose')!)
    await waitFor(() => expect(vi.mocked(open)).toHaveBeenCalledTimes(2))
    expect(path.value).toBe('/home/grace/Documents/budgets FY2027.xlsx')
    await fireEvent.submit(document.getElementById('budget-import')!)
    await waitFor(() =>
      expect(callsOf('budget_import')).toEqual([
        { path: '/home/grace/Documents/budgets FY2027.xlsx', skip: false, archive: false, preview: true },
      ]),
    )
  })

  it('exports the report rows of the period and department shown', async () => {
    vi.mocked(save).mockReset()
    vi.mocked(save).mockResolvedValueOnce('/home/grace/Budgets Sales.xlsx')
    commands({
      ...READS,
      export_list: () => ({ path: '/home/grace/Budgets Sales.xlsx', format: 'xlsx', rows: 1, bytes: 5120 }),
    })
    app.session = VIEWER
    render(BudgetsPage)
    await waitFor(() => expect(document.querySelector('#budget-department option[value="Sales"]')).not.toBeNull())
    await fireEvent.change(document.getElementById('budget-department')!, { target: { value: 'Sales' } })
    await fireEvent.click(await found('#budgets-export-xlsx'))
    await waitFor(() => expect(callsOf('export_list')).toHaveLength(1))
    expect(vi.mocked(save).mock.calls[0][0]).toMatchObject({ defaultPath: 'Budgets Sales.xlsx' })
    expect(callsOf('export_list')[0]).toEqual({
      request: { list: 'budgets', period: null, department: 'Sales' },
      format: 'xlsx',
      path: '/home/grace/Budgets Sales.xlsx',
    })
    expect((await found('#budgets-export-result')).textContent).toBe('Exported 1 row to /home/grace/Budgets Sales.xlsx.')
  })

  it('checks funds for a department and shows the answer, with what to fix on bad input', async () => {
    commands({
      ...READS,
      budget_check: () => ({
        id: 'c1',
        request_id: null,
        available: false,
        can_auto_approve: false,
        reason: 'Insufficient budget. Available: KES 150,000.00, Requested: KES 200,000.00',
        budget_id: 'b-ops',
        department: 'Operations',
        period: 'FY2026',
        currency: 'KES',
        enforcement: 'HARD_BLOCK',
        requested: '200000',
        budgeted: '1000000.00',
        available_amount: '150000.00',
        checked_at: '2026-07-01T06:00:00.000Z',
      }),
    })
    app.session = APPROVER
    render(BudgetsPage)
    const submit = await found('#budget-check-submit')
    await fireEvent.click(submit)
    await waitFor(() => expect(document.getElementById('budget-check')!.textContent).toContain('Choose a department'))
    expect(callsOf('budget_check')).toHaveLength(0)

    await waitFor(() => expect(document.querySelector('#budget-check-department option[value="Operations"]')).not.toBeNull())
    await fireEvent.change(document.getElementById('budget-check-department')!, { target: { value: 'Operations' } })
    await fireEvent.input(document.getElementById('budget-check-period')!, { target: { value: 'FY2026' } })
    await fireEvent.input(document.getElementById('budget-check-amount')!, { target: { value: '2OO,000' } })
    await fireEvent.click(submit)
    await waitFor(() => expect(document.getElementById('budget-check')!.textContent).toContain('Type the amount as a number'))
    expect(callsOf('budget_check')).toHaveLength(0)
    await fireEvent.input(document.getElementById('budget-check-amount')!, { target: { value: '200,000' } })
    await fireEvent.click(submit)
    const result = await found('#budget-check-result')
    expect(result.dataset.available).toBe('false')
    expect(result.textContent).toContain('Insufficient budget. Available: KES 150,000.00')
    expect(callsOf('budget_check')).toEqual([
      {
        check: {
          request_id: null,
          department: 'Operations',
          period: 'FY2026',
          amount: '200000',
          vendor: null,
          purpose: null,
          category: null,
          project: null,
        },
      },
    ])
  })

  it('reserves money for a document from the ledger, then shows the new ledger and balance', async () => {
    commands({ ...READS, budget_reserve: () => outcome() })
    app.session = APPROVER
    render(BudgetsPage)
    await fireEvent.click(await found('button[data-ledger="b-ops"]'))
    const kinds = [...(await found('#budget-move-kind')).querySelectorAll('option')].map((o) => o.value)
    expect(kinds).toEqual(['reserve', 'release'])
    await fireEvent.input(document.getElementById('budget-move-request')!, { target: { value: 'PO-000012' } })
    await fireEvent.input(document.getElementById('budget-move-amount')!, { target: { value: '25,000' } })
    await fireEvent.click(document.getElementById('budget-move-submit')!)
    const done = await found('#budget-move-result')
    expect(done.textContent).toContain('Reserved for PO-000012')
    expect(done.textContent).toContain('KES 25,000.00 in reserve')
    expect(callsOf('budget_reserve')).toEqual([{ budget: 'b-ops', request: 'PO-000012', amount: '25,000', reason: null }])
    expect(callsOf('budget_history')).toHaveLength(2)
    expect(callsOf('budget_report')).toHaveLength(2)
  })

  it('asks for a reason before a release and shows why the core refused one', async () => {
    commands({
      ...READS,
      budget_release: () => {
        throw wireError('conflict', 'Amount exceeds reserved: PO-000012 holds KES 25,000.00 on this budget.')
      },
      budget_release_commitment: () => outcome({ held: '0', committed: '0' }),
    })
    app.session = FINANCE
    render(BudgetsPage)
    await fireEvent.click(await found('button[data-ledger="b-ops"]'))
    const kind = await found('#budget-move-kind')
    expect([...kind.querySelectorAll('option')].map((o) => o.value)).toEqual(['reserve', 'release', 'release_commitment'])
    await fireEvent.change(kind, { target: { value: 'release' } })
    await fireEvent.input(document.getElementById('budget-move-request')!, { target: { value: 'PO-000012' } })
    await fireEvent.input(document.getElementById('budget-move-amount')!, { target: { value: '30000' } })
    await fireEvent.click(document.getElementById('budget-move-submit')!)
    await waitFor(() => expect(document.getElementById('budget-move')!.textContent).toContain('A release needs a reason'))
    expect(callsOf('budget_release')).toHaveLength(0)

    await fireEvent.change(await found('#budget-move-action'), { target: { value: 'reject' } })
    await fireEvent.input(document.getElementById('budget-move-reason')!, { target: { value: 'Supplier withdrew' } })
    await fireEvent.click(document.getElementById('budget-move-submit')!)
    await waitFor(() => expect(document.getElementById('budget-move')!.textContent).toContain('Amount exceeds reserved'))
    expect(callsOf('budget_release')).toEqual([
      { budget: 'b-ops', request: 'PO-000012', amount: '30000', action: 'reject', reason: 'Supplier withdrew' },
    ])
    expect(document.getElementById('budget-move-result')).toBeNull()

    await fireEvent.change(kind, { target: { value: 'release_commitment' } })
    await fireEvent.input(document.getElementById('budget-move-amount')!, { target: { value: '' } })
    await fireEvent.click(document.getElementById('budget-move-submit')!)
    await found('#budget-move-result')
    expect(callsOf('budget_release_commitment')).toEqual([
      { release: { budget_id: 'b-ops', request_id: 'PO-000012', amount: null, reason: 'Supplier withdrew' } },
    ])
  })
})
