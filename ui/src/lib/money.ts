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

/**
 * The exact sum of decimal strings ("12500.50" + "0.25" = "12500.75"), on integers scaled by
 * the most decimals present: no float ever adds money. Text that is not a decimal makes the sum
 * null (shown as a dash rather than a wrong total).
 */
export function sumAmounts(texts: readonly (string | null | undefined)[]): string | null {
  const parsed: { sign: bigint; whole: string; fraction: string }[] = []
  for (const text of texts) {
    if (text === null || text === undefined || text.trim() === '') continue
    const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text.trim())
    if (!m) return null
    parsed.push({ sign: m[1] === '-' ? -1n : 1n, whole: m[2], fraction: m[3] ?? '' })
  }
  const scale = Math.max(0, ...parsed.map((p) => p.fraction.length))
  let total = 0n
  for (const p of parsed) total += p.sign * BigInt(p.whole + p.fraction.padEnd(scale, '0'))
  const negative = total < 0n
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : ''
  return `${negative ? '-' : ''}${whole}${fraction}`
}

/**
 * Axis ticks for a chart whose largest value is `max`: 0 and 4–5 round steps (1, 2, 2.5 or 5 ×
 * a power of ten) up to a round top at or above `max`. Only for placing gridlines.
 */
export function niceTicks(max: number, target = 4): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1]
  const rough = max / target
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power
  const ticks: number[] = []
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)))
  return ticks
}

/** An axis label: "0", "750k", "2.5M", "1.2B". Approximate on purpose; exact figures are in the table. */
export function compactAmount(n: number): string {
  const trim = (v: number) => v.toFixed(1).replace(/\.0$/, '')
  if (n >= 1e9) return `${trim(n / 1e9)}B`
  if (n >= 1e6) return `${trim(n / 1e6)}M`
  if (n >= 1e3) return `${trim(n / 1e3)}k`
  return String(Math.round(n))
}
