import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { MonitorSnapshot, ScheduledJobView, SessionInfo } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { callsOf, commands, wireError } from '../test/tauri'
import MonitoringPage from './MonitoringPage.svelte'

const CFO: SessionInfo = {
  user_id: 'u-cfo',
  email: 'cfo@demo.test',
  name: 'Peter Kamau',
  role: 'finance_manager',
  permissions: ['monitor_view', 'report_view', 'jobs_view'],
}

const SNAPSHOT: MonitorSnapshot = {
  generated_at: '2026-07-01T06:00:00.000Z',
  queue: [
    { target: 'etims', state: 'ready', count: 3 },
    { target: 'etims', state: 'dead', count: 1 },
  ],
  oldest_ready_age_ms: 120_000,
  dead: 1,
  worker: 'not_running',
  executions: {
    by_type_status: [
      { workflow_type: 'invoice_sync', status: 'completed', count: 18 },
      { workflow_type: 'invoice_sync', status: 'failed', count: 2 },
    ],
    durations: [{ workflow_type: 'all', samples: 20, p50_ms: 100, p95_ms: 500 }],
    last_day_finished: 20,
    last_day_failed: 2,
    error_rate_percent: '10.0',
    alert: true,
  },
  sla: { window_days: 30, decided: 4, met: 3, percent: '75.0' },
  failing_jobs: ['backup'],
  alerts: [
    { kind: 'error_rate', message: '10.0 % of workflow executions failed in the last day.' },
    { kind: 'job_failed', message: 'The scheduled job backup failed on its last run.' },
  ],
}

const JOB: ScheduledJobView = {
  name: 'backup',
  description: 'Back up the company file, keeping the newest copies',
  schedule: 'daily:01:00',
  schedule_text: 'daily at 01:00',
  enabled: true,
  config: { keep: 10 },
  next_run_at: '2026-07-01T06:15:00.000Z',
  due: false,
  last_run_at: '2026-07-01T06:00:00.000Z',
  last_status: 'failed',
  last_error: 'Could not create the backup folder',
  last_duration_ms: 3,
  last_result: null,
  runs: 1,
  failures: 1,
}

const REPORT = {
  id: 'demo-daily-summary-20260701T040000000Z-001.pdf',
  kind: 'daily_summary',
  path: '/home/amina/reports/demo-daily-summary-20260701T040000000Z-001.pdf',
  size_bytes: 2048,
  created_at: '2026-07-01T04:00:00.000Z',
}

describe('MonitoringPage', () => {
  it('draws the charts, the alerts, the reports and the jobs', async () => {
    commands({
      monitor_snapshot: () => SNAPSHOT,
      reports_list: () => [REPORT],
      jobs_list: () => [JOB],
      report_open: (args) => `/home/amina/reports/${args.id}`,
    })
    app.session = CFO
    render(MonitoringPage)
    await waitFor(() => expect(document.getElementById('chart-executions')).toBeTruthy())
    expect(document.querySelector('#chart-executions g[data-status="failed"]')!.textContent).toContain('2')
    expect(document.querySelector('#chart-executions g[data-status="completed"]')!.textContent).toContain('18')
    expect(document.getElementById('durations')!.textContent).toContain('p50 100 ms, p95 500 ms')
    const rate = document.getElementById('chart-error-rate')!
    expect(rate.dataset.alert).toBe('true')
    expect(rate.textContent).toContain('10.0%')
    expect(document.getElementById('error-rate-text')!.textContent).toContain('Above the 5% threshold')
    expect(document.getElementById('chart-queue')!.textContent).toContain('etims dead')
    expect(document.getElementById('chart-sla')!.textContent).toContain('75.0%')
    expect(document.querySelector('#monitor-alerts li[data-alert="error_rate"]')).toBeTruthy()
    expect(document.querySelector('#monitor-alerts li[data-alert="job_failed"]')).toBeTruthy()

    await waitFor(() => expect(document.querySelector(`#reports-list tr[data-report="${REPORT.id}"]`)).toBeTruthy())
    expect(document.querySelector('#reports-list code')!.textContent).toBe(REPORT.path)
    await fireEvent.click(document.querySelector(`button[data-open-report="${REPORT.id}"]`)!)
    await waitFor(() => expect(document.getElementById('report-opened')!.textContent).toContain(REPORT.id))
    expect(callsOf('report_open')).toEqual([{ id: REPORT.id }])

    const job = document.querySelector('#jobs-table tr[data-job="backup"]')!
    expect(job.textContent).toContain('daily at 01:00')
    expect(job.textContent).toContain('Failed')
    expect(job.textContent).toContain('Could not create the backup folder')
  })

  it('says so when there is no execution log and no alert, and shows failures to open', async () => {
    commands({
      monitor_snapshot: () => ({
        ...SNAPSHOT,
        queue: [],
        oldest_ready_age_ms: null,
        dead: 0,
        executions: null,
        failing_jobs: [],
        alerts: [],
        sla: { window_days: 30, decided: 0, met: 0, percent: null },
      }),
      reports_list: () => [REPORT],
      jobs_list: () => [],
      report_open: () => {
        throw wireError('unavailable', 'Could not open the report (xdg-open: not found). Open it from your file manager.')
      },
    })
    app.session = CFO
    render(MonitoringPage)
    await waitFor(() => expect(document.getElementById('executions-none')).toBeTruthy())
    expect(document.getElementById('chart-error-rate')).toBeNull()
    expect(document.getElementById('monitor-alerts')).toBeNull()
    expect(document.getElementById('queue-none')).toBeTruthy()
    expect(document.getElementById('sla-text')!.textContent).toContain('No approval steps decided')
    await waitFor(() => expect(document.querySelector('button[data-open-report]')).toBeTruthy())
    await fireEvent.click(document.querySelector('button[data-open-report]')!)
    await waitFor(() => expect(document.body.textContent).toContain('Open it from your file manager'))
  })

  it('does not ask for reports or jobs without the permission', async () => {
    commands({ monitor_snapshot: () => SNAPSHOT })
    app.session = { ...CFO, permissions: ['monitor_view'] }
    render(MonitoringPage)
    await waitFor(() => expect(document.getElementById('chart-sla')).toBeTruthy())
    expect(callsOf('reports_list')).toHaveLength(0)
    expect(callsOf('jobs_list')).toHaveLength(0)
    expect(document.getElementById('reports-list')).toBeNull()
  })
})
