// Money on screen. Amounts travel as decimal strings ("12500.00") and are never parsed into JS
// numbers: grouping and padding are done on the text, so no amount is ever rounded by a float.

/** "1234567.5" → "1,234,567.50"; keeps extra decimals; text that is not a decimal comes back as is. */
export function formatAmount(text: string | null | undefined): string {
  if (text === null || text === undefined) return ''
  const trimmed = text.trim()
  const match = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(trimmed)
  if (!match) return trimmed
  const [, sign, whole, fraction = ''] = match
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const decimals = fraction.length >= 2 ? fraction : fraction.padEnd(2, '0')
  return `${sign === '-' ? '−' : ''}${grouped}.${decimals}`
}

/** "KES 12,500.00". */
export function formatMoney(text: string | null | undefined, currency = 'KES'): string {
  const amount = formatAmount(text)
  return amount === '' ? '' : `${currency} ${amount}`
}

/** Whether the text is a positive decimal amount with at most two decimals ("12500", "99.50"). */
export function isAmount(text: string): boolean {
  const t = text.trim().replace(/,/g, '')
  return /^\d+(\.\d{1,2})?$/.test(t) && /[1-9]/.test(t)
}

/** The amount as the core expects it: digits and a point, no grouping commas. */
export function normaliseAmount(text: string): string {
  return text.trim().replace(/,/g, '')
}

/**
 * A percentage from the core's report ("82.5") as a CSS width between 0 and 100. Only ever used
 * for bar widths, never for money.
 */
export function barWidth(percent: string | null | undefined): number {
  if (!percent) return 0
  const value = Number.parseFloat(percent)
  if (!Number.isFinite(value)) return 0
  return Math.max(0, Math.min(100, value))
}
