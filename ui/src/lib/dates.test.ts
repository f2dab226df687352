import { afterEach, describe, expect, it } from 'vitest'
import { describePeriod, formatDate, formatDateTime, monthParts, parseDate, setTimeZone, todayIso } from './dates'

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

describe('fiscal periods in words', () => {
  it('explains years, quarters and months on the company calendar', () => {
    expect(describePeriod('FY2026', 7)).toBe('1 Jul 2026 – 30 Jun 2027')
    expect(describePeriod('2026-Q3', 7)).toBe('1 Jan 2027 – 31 Mar 2027')
    expect(describePeriod('2026-Q1', 1)).toBe('1 Jan 2026 – 31 Mar 2026')
    expect(describePeriod('FY2028', 1)).toBe('1 Jan 2028 – 31 Dec 2028')
    expect(describePeriod('2027-02', 7)).toBe('Feb 2027')
    expect(describePeriod('whenever', 7)).toBe('whenever')
    expect(monthParts('2027-01')).toEqual({ month: 'Jan', year: '2027' })
  })
})
