import { describe, expect, it } from 'vitest'
import { REJECTED, SIGNED, UNKNOWN, badge } from '../test/etims'
import { badgeLabel, badgeTone, desktopFix, sendStatusLabel, waitedText } from './etims'

describe('etims words', () => {
  it('says how long KRA has been awaited', () => {
    expect(waitedText(null)).toBe('')
    expect(waitedText(20)).toBe('1 min')
    expect(waitedText(45 * 60)).toBe('45 min')
    expect(waitedText(5 * 3600)).toBe('5 h')
    expect(waitedText(3 * 86400)).toBe('3 days')
  })

  it('names every stage in words, with the age while waiting', () => {
    expect(badgeLabel(badge())).toBe('Awaiting KRA signature (5 h)')
    expect(badgeLabel(UNKNOWN)).toBe('Unknown — being checked at KRA (40 min)')
    expect(badgeLabel(SIGNED)).toBe('Signed by KRA')
    expect(badgeLabel(REJECTED)).toBe('Rejected by KRA')
    expect(badgeLabel(badge({ stage: 'not_for_kra', waiting_seconds: null }))).toBe('Not sent to KRA')
    expect([SIGNED, REJECTED, UNKNOWN, badge()].map((b) => badgeTone(b.stage))).toEqual(['on', 'bad', 'warn', 'info'])
  })

  it('gives the desktop’s fix where the core names a command, else the core’s', () => {
    expect(desktopFix('no_device', 'Set it up: `hesabu etims device init --serial SERIAL`')).toContain('Sales › KRA e-TIMS')
    expect(desktopFix('no_classification', '`hesabu item edit X`')).toContain('Sales › Items')
    for (const code of ['no_device', 'no_sdc_id', 'not_issued', 'no_classification', 'no_reason', 'original_not_signed']) {
      expect(desktopFix(code, 'x `hesabu y`')).not.toContain('hesabu')
    }
    expect(desktopFix('customer_pin', 'Correct the customer’s PIN.')).toBe('Correct the customer’s PIN.')
  })

  it('names a send’s state without raw words', () => {
    expect(['pending', 'running', 'completed', 'failed', 'skipped', null].map((s) => sendStatusLabel(s))).toEqual([
      'Queued',
      'Sending',
      'Sent',
      'Given up',
      'Not sent (workflow skipped it)',
      'Not queued',
    ])
  })
})
