import { describe, expect, it } from 'vitest'
import { connectivityLabel, executionsByStatus, progressText, queueByTarget, scale } from './sync'

describe('sync helpers', () => {
  it('pivots the queue depth to one row per target', () => {
    const rows = queueByTarget([
      { target: 'quickbooks', state: 'ready', count: 2 },
      { target: 'etims', state: 'done', count: 40 },
      { target: 'etims', state: 'dead', count: 1 },
      { target: 'etims', state: 'in_flight', count: 1 },
    ])
    expect(rows).toEqual([
      { target: 'etims', ready: 0, in_flight: 1, done: 40, dead: 1 },
      { target: 'quickbooks', ready: 2, in_flight: 0, done: 0, dead: 0 },
    ])
  })

  it('describes progress while running, when idle, and when waiting for a target', () => {
    const base = { running: false, total: 0, done: 0, failed: 0, dead: 0, current: null, offline: [] }
    expect(progressText(null)).toBe('Loading…')
    expect(progressText({ ...base, running: true, total: 5, done: 2, current: 'INV-7' })).toBe(
      'Sending: 2 of 5 finished (now: INV-7).',
    )
    expect(progressText(base)).toContain('Idle')
    expect(progressText({ ...base, offline: ['etims'] })).toContain('Waiting for KRA e-TIMS')
    expect(progressText({ ...base, total: 3, done: 2, failed: 1, dead: 1 })).toBe(
      'Last sync: 2 done, 1 to retry later, 1 dead.',
    )
  })

  it('labels connectivity and sums executions by status', () => {
    expect(connectivityLabel('online')).toBe('Online')
    expect(connectivityLabel('partial')).toBe('Partly online')
    expect(connectivityLabel('weird')).toBe('Connection unknown')
    expect(
      executionsByStatus([
        { workflow_type: 'invoice_sync', status: 'failed', count: 2 },
        { workflow_type: 'invoice_sync', status: 'completed', count: 5 },
        { workflow_type: 'item_sync', status: 'completed', count: 3 },
      ]),
    ).toEqual([
      { status: 'completed', count: 8 },
      { status: 'failed', count: 2 },
    ])
    expect(scale(5, 10, 300)).toBe(150)
    expect(scale(0, 10, 300)).toBe(0)
    expect(scale(1, 1000, 300)).toBe(1)
  })
})
