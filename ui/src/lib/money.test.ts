import { describe, expect, it } from 'vitest'
import { barWidth, formatAmount, formatMoney, isAmount, normaliseAmount } from './money'

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
