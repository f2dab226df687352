import { describe, expect, it } from 'vitest'
import { auditActionLabel, auditEntityLabel, changeLines } from './audit'

describe('audit wording', () => {
  it('says what happened in words', () => {
    expect(auditActionLabel('budget.reserve')).toBe('Budget reserved')
    expect(auditActionLabel('document.tax_review_resolve')).toBe('Document tax review resolved')
    expect(auditActionLabel('sale.fiscalise')).toBe('Sale signed by KRA')
    expect(auditActionLabel('outbox.dead_letter')).toBe('Sync item given up on')
    expect(auditActionLabel('widget.frobnicate')).toBe('Widget frobnicate')
    expect(auditEntityLabel('approval_document')).toBe('Document')
    expect(auditEntityLabel('budget')).toBe('Budget')
    expect(auditEntityLabel('stock_move')).toBe('Stock move')
  })

  it('shows a change as short lines', () => {
    expect(changeLines({ amount: '50000', department_name: 'Operations', note: null })).toEqual([
      'Amount: 50000',
      'Department name: Operations',
      'Note: —',
    ])
    expect(changeLines(null)).toEqual([])
    expect(changeLines({ long: 'x'.repeat(300) })[0].length).toBeLessThan(130)
  })
})
