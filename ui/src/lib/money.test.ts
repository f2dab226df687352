import { describe, expect, it } from 'vitest'
import { barWidth, compactAmount, formatAmount, formatMoney, isAmount, niceTicks, normaliseAmount, sumAmounts } from './money'

describe('money', () => {
  it('groups thousands and pads to two decimals without floats', () => {
    expect(formatAmount('1234567.5')).toBe('1,234,567.50')
    expect(formatAmount('12500')).toBe('12,500.00')
    expect(formatAmount('999')).toBe('999.00')
    expect(formatAmount('0.125')).toBe('0.125')
    expect(formatAmount('-2500.00')).toBe('−2,500.00')
    expect(formatAmount('90071992547409931.01')).toBe('90,071,992,547,409,931.01')
    expect(formatMoney('12500.00')).toBe('KES 12,500.00')
    expect(formatAmount('n/a')).toBe('n/a')
  })

  it('validates and normalises typed amounts', () => {
    expect(isAmount('12,500')).toBe(true)
    expect(isAmount('12500.50')).toBe(true)
    expect(isAmount('0')).toBe(false)
    expect(isAmount('12.505')).toBe(false)
    expect(isAmount('abc')).toBe(false)
    expect(normaliseAmount(' 12,500.00 ')).toBe('12500.00')
  })

  it('clamps bar widths', () => {
    expect(barWidth('82.5')).toBe(82.5)
    expect(barWidth('140.0')).toBe(100)
    expect(barWidth(null)).toBe(0)
  })
})

describe('sums and chart axes', () => {
  it('adds decimal strings exactly', () => {
    expect(sumAmounts(['0.1', '0.2'])).toBe('0.3')
    expect(sumAmounts(['12500.50', '99999999999999999.25', '-0.75'])).toBe('100000000000012499.00')
    expect(sumAmounts(['1000', '250.5'])).toBe('1250.5')
    expect(sumAmounts([])).toBe('0')
    expect(sumAmounts(['-5', '2'])).toBe('-3')
    expect(sumAmounts(['1', null, ''])).toBe('1')
    expect(sumAmounts(['1', 'n/a'])).toBeNull()
  })

  it('puts round ticks on the axis, up to a round top above the largest value', () => {
    expect(niceTicks(1_000_000)).toEqual([0, 250_000, 500_000, 750_000, 1_000_000])
    expect(niceTicks(1_320_000)).toEqual([0, 500_000, 1_000_000, 1_500_000])
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8])
    expect(niceTicks(0)).toEqual([0, 1])
    expect(compactAmount(2_500_000)).toBe('2.5M')
    expect(compactAmount(750_000)).toBe('750k')
    expect(compactAmount(1_000_000_000)).toBe('1B')
    expect(compactAmount(40)).toBe('40')
  })
})
