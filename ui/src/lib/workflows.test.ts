import { describe, expect, it } from 'vitest'
import { entityTypeLabel, evaluationOutcomeLabel, evaluationTriggerLabel, executionStatusLabel } from './workflows'

describe('execution log wording', () => {
  const base = { outbox_id: null, error_kind: null, error_message: null }

  it('says held only when nothing will send it by itself, and waiting when the queue will', () => {
    expect(executionStatusLabel({ ...base, status: 'pending', outbox_id: 'o1' })).toBe('Waiting to send')
    expect(executionStatusLabel({ ...base, status: 'pending', error_kind: 'held' })).toBe('Held for tax review')
    expect(executionStatusLabel({ ...base, status: 'pending', error_kind: 'manual' })).toBe('Held: run it by hand')
    expect(executionStatusLabel({ ...base, status: 'running', error_message: 'retrying: 503 from e-TIMS' })).toBe('Retrying')
    expect(executionStatusLabel({ ...base, status: 'running' })).toBe('Sending')
    expect(executionStatusLabel({ ...base, status: 'completed' })).toBe('Sent')
    expect(executionStatusLabel({ ...base, status: 'skipped' })).toBe('Skipped')
  })

  it('names entities as an accountant does', () => {
    expect(entityTypeLabel('credit_note')).toBe('Credit note')
    expect(entityTypeLabel('sale')).toBe('Cash sale')
    expect(entityTypeLabel('stock_move')).toBe('Stock move')
    expect(evaluationTriggerLabel('submitted')).toBe('when submitted')
    expect(evaluationOutcomeLabel('blocked')).toBe('Blocked by a rule')
    expect(evaluationOutcomeLabel('passed')).toBe('No rule applied')
  })
})
