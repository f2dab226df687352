import { afterEach, describe, expect, it } from 'vitest'
import { formatDate, formatDateTime, parseDate, setTimeZone, todayIso } from './dates'

describe('dates', () => {
  afterEach(() => setTimeZone('Africa/Nairobi'))

  it('writes every date one way, without shifting date-only values', () => {
    expect(formatDate('2026-12-02')).toBe('2 Dec 2026')
    expect(formatDate('2027-01-31')).toBe('31 Jan 2027')
    setTimeZone('America/Los_Angeles')
    expect(formatDate('2026-12-02')).toBe('2 Dec 2026')
    expect(formatDate('')).toBe('')
    expect(formatDate('soon')).toBe('soon')
  })

  it("shows times in the company's zone, not the machine's", () => {
    expect(formatDateTime('2026-12-02T05:30:00Z')).toBe('2 Dec 2026, 08:30')
    // 22:30 UTC is already the next day in Nairobi.
    expect(formatDateTime('2026-12-02T22:30:00Z')).toBe('3 Dec 2026, 01:30')
    expect(todayIso(new Date('2026-12-02T22:30:00Z'))).toBe('2026-12-03')
    setTimeZone('Europe/London')
    expect(formatDateTime('2026-12-02T05:30:00Z')).toBe('2 Dec 2026, 05:30')
    setTimeZone('Not/AZone')
    expect(formatDateTime('2026-12-02T05:30:00Z')).toBe('2 Dec 2026, 08:30')
    expect(formatDateTime('garbage')).toBe('garbage')
  })

  it('reads dates as accountants type them, day first', () => {
    for (const typed of ['2 Dec 2026', '2 december 2026', '02/12/2026', '2-12-2026', '2026-12-02', ' 2 Dec, 2026 ', '2.12.2026']) {
      expect(parseDate(typed), typed).toBe('2026-12-02')
    }
    expect(parseDate('29 Feb 2028')).toBe('2028-02-29')
    for (const bad of ['', '31/02/2026', '29 Feb 2027', '12/31/2026', '2 Dcember 2026', '2 De 2026', 'tomorrow', '2026-13-01']) {
      expect(parseDate(bad), bad).toBeNull()
    }
  })
})
