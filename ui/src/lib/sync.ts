// Pure helpers for the Sync and Monitoring pages (unit-tested in sync.test.ts).
import type { ExecutionCount, QueueDepth, SyncProgress } from './bindings'

export interface TargetQueue {
  target: string
  ready: number
  in_flight: number
  done: number
  dead: number
}

/** The queue depth rows (target × state) pivoted to one row per target, sorted by name. */
export function queueByTarget(depth: QueueDepth[]): TargetQueue[] {
  const rows = new Map<string, TargetQueue>()
  for (const d of depth) {
    const row = rows.get(d.target) ?? { target: d.target, ready: 0, in_flight: 0, done: 0, dead: 0 }
    if (d.state === 'ready' || d.state === 'in_flight' || d.state === 'done' || d.state === 'dead') {
      row[d.state] += d.count
    }
    rows.set(d.target, row)
  }
  return [...rows.values()].sort((a, b) => a.target.localeCompare(b.target))
}

/** A sync target as an accountant knows it. */
export function targetLabel(target: string): string {
  switch (target) {
    case 'etims':
      return 'KRA e-TIMS'
    case 'qbo':
    case 'quickbooks':
      return 'QuickBooks Online'
    default:
      return target
  }
}

/** The sync worker's state in words. */
export function workerLabel(state: string): string {
  switch (state) {
    case 'idle':
      return 'waiting for work'
    case 'running':
      return 'sending'
    case 'paused_offline':
      return 'paused until the connection is back'
    case 'stopped':
      return 'stopped'
    case 'not_running':
      return 'not running in this window'
    default:
      return state.replace(/_/g, ' ')
  }
}

/** What an empty table says: the truth about whether the queue was read at all. */
export function emptyQueueText(state: 'loading' | 'loaded' | 'failed', loaded: string): string {
  if (state === 'loading') return 'Reading the queue…'
  if (state === 'failed') return 'The queue could not be read (see the message above).'
  return loaded
}

export function connectivityLabel(overall: string): string {
  switch (overall) {
    case 'online':
      return 'Online'
    case 'offline':
      return 'Offline'
    case 'partial':
      return 'Partly online'
    default:
      return 'Connection unknown'
  }
}

/** The line under the progress bar. */
export function progressText(p: SyncProgress | null): string {
  if (!p) return 'Loading…'
  const finished = p.done + p.dead
  if (p.running) {
    const current = p.current ? ` (now: ${p.current})` : ''
    return `Sending: ${finished} of ${p.total} finished${current}.`
  }
  if (p.total === 0 && finished === 0) {
    return p.offline.length > 0
      ? `Waiting for ${p.offline.map(targetLabel).join(', ')} to come back online; it resumes by itself.`
      : 'Idle. Queued items are sent every few minutes, or now with “Sync now”.'
  }
  const retry = p.failed > 0 ? `, ${p.failed} to retry later` : ''
  return `Last sync: ${p.done} done${retry}, ${p.dead} dead.`
}

/** Executions summed over workflow types, per status, in a fixed order. */
export function executionsByStatus(counts: ExecutionCount[]): { status: string; count: number }[] {
  const order = ['completed', 'failed', 'running', 'pending', 'skipped']
  const sums = new Map<string, number>()
  for (const c of counts) sums.set(c.status, (sums.get(c.status) ?? 0) + c.count)
  const known = order.filter((s) => sums.has(s))
  const other = [...sums.keys()].filter((s) => !order.includes(s)).sort()
  return [...known, ...other].map((status) => ({ status, count: sums.get(status) ?? 0 }))
}

/** A bar length (0…max) for `value` out of `largest`; 0 when there is nothing. */
export function scale(value: number, largest: number, max: number): number {
  if (largest <= 0 || value <= 0) return 0
  return Math.max(1, Math.round((value * max) / largest))
}
