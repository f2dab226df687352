import { describe, expect, it } from 'vitest'
import { difference, importRow } from '../test/etimsRecords'
import {
  completenessNote,
  differenceText,
  differenceTitle,
  importStatusLabel,
  isPercent,
  isQuantity,
  reconciliationSummary,
  syncStateLabel,
} from './kraRecords'

const NO_DIFFERENCES = { fetched: true, complete: true, as_of: '2026-12-02T05:00:00Z', kra_sales: 3, local_signed: 3, differences: [] }

describe('KRA records words', () => {
  it('says what each kind of difference means and what to do, without commands', () => {
    const differs = differenceText(difference())
    expect(differs).toContain('INV-000012 (e-TIMS invoice 152)')
    expect(differs).toContain('KES 116.00')
    expect(differs).toContain('KES 100.00')
    expect(differenceTitle(difference())).toBe('KRA holds different figures')

    const number = differenceText(difference({ kra_total: '100.00', document: 'POS-9' }))
    expect(number).toContain('under document number POS-9')

    const unknownHere = difference({ kind: 'signed_at_kra_only', local_state: null, local_total: null })
    expect(differenceTitle(unknownHere)).toBe('Signed at KRA, not in this company file')
    expect(differenceText(unknownHere)).toContain('Another program or another copy')

    const pending = difference({ kind: 'signed_at_kra_only', local_state: 'unknown' })
    expect(differenceText(pending)).toContain('“Sent, no answer yet”')
    expect(differenceText(pending)).toContain('Nothing to do')

    const missing = difference({ kind: 'missing_at_kra', kra_total: null })
    expect(differenceTitle(missing)).toBe('Signed here, missing at KRA')
    expect(differenceText(missing)).toContain('eTIMS portal')

    for (const d of [difference(), unknownHere, pending, missing]) {
      expect(differenceText(d)).not.toMatch(/hesabu|invcNo|`/)
    }
  })

  it('sums the reconciliation up', () => {
    expect(reconciliationSummary({ ...NO_DIFFERENCES, fetched: false })).toContain('has not been fetched yet')
    expect(reconciliationSummary(NO_DIFFERENCES)).toBe('KRA’s 3 sales and this company file’s 3 signed sales agree.')
    expect(reconciliationSummary({ ...NO_DIFFERENCES, differences: [difference()] })).toContain('1 sale differs')
    expect(reconciliationSummary({ ...NO_DIFFERENCES, differences: [difference(), difference({ invc_no: 9 })] })).toContain('2 sales differ')
    expect(completenessNote(NO_DIFFERENCES)).toBeNull()
    expect(completenessNote({ ...NO_DIFFERENCES, complete: false })).toContain('in part')
  })

  it('reads rates and quantities as typed', () => {
    for (const ok of ['20', '12.5', '12.5%', '0', '100', ' 7.25 % ']) expect(isPercent(ok), ok).toBe(true)
    for (const bad of ['', '120', '-1', '12.345', 'twenty', '1e2']) expect(isPercent(bad), bad).toBe(false)
    for (const ok of ['1', '0.5', ' 2 ']) expect(isQuantity(ok), ok).toBe(true)
    for (const bad of ['', '0', '-1', 'two', '1,5']) expect(isQuantity(bad), bad).toBe(false)
  })

  it('names where sending to KRA stands, and an import’s status', () => {
    expect(syncStateLabel(null)).toBe('Not sent to KRA')
    expect(syncStateLabel('ready')).toBe('Waiting for the next sync')
    expect(syncStateLabel('done')).toBe('KRA has it')
    expect(syncStateLabel('dead')).toBe('Not accepted by KRA')
    expect(importStatusLabel(importRow())).toBe('Waiting for your answer')
    expect(importStatusLabel(importRow({ open: false, kra_status: '3' }))).toBe('Approved at KRA')
    expect(
      importStatusLabel(
        importRow({
          open: false,
          answer: { decision: 'accepted', item_code: 'SOAP-1', remark: null, decided_at: '2026-12-02T05:00:00Z', sync_state: 'done', sync_error: null },
        }),
      ),
    ).toBe('Accepted as SOAP-1 · KRA has it')
  })
})
