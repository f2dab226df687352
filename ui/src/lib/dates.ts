// One way of writing dates and times across the app: "2 Dec 2026" and "2 Dec 2026, 14:05",
// always in the company's time zone (set when a company opens), never the machine's. Date-only
// values travel as ISO `yyyy-mm-dd` and are never shifted by a time zone.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const LONG_MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]

export const DEFAULT_TIME_ZONE = 'Africa/Nairobi'
let zone = DEFAULT_TIME_ZONE

/** The company's time zone, from the open company (an unknown name falls back to Nairobi). */
export function setTimeZone(timeZone: string | null | undefined) {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: timeZone ?? DEFAULT_TIME_ZONE })
    zone = timeZone ?? DEFAULT_TIME_ZONE
  } catch {
    zone = DEFAULT_TIME_ZONE
  }
}

export function timeZone(): string {
  return zone
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** An ISO date (`2026-12-02`) as "2 Dec 2026"; anything else as is. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const m = ISO_DATE.exec(iso)
  if (!m) return iso.includes('T') ? formatDateTime(iso).split(',')[0] : iso
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`
}

/** The parts of an instant in the company's zone. */
function zoned(date: Date): { y: string; mo: number; d: number; h: string; mi: string } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return { y: get('year'), mo: Number(get('month')), d: Number(get('day')), h: get('hour'), mi: get('minute') }
}

/** A stored timestamp (RFC 3339) as "2 Dec 2026, 14:05" in the company's zone; unparseable text as is. */
export function formatDateTime(text: string | null | undefined): string {
  if (!text) return ''
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) return text
  const p = zoned(date)
  return `${p.d} ${MONTHS[p.mo - 1]} ${p.y}, ${p.h}:${p.mi}`
}

/** Today in the company's zone, as ISO `yyyy-mm-dd`. */
export function todayIso(now = new Date()): string {
  const p = zoned(now)
  return `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
}

function iso(y: number, m: number, d: number): string | null {
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return null
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  if (d > days) return null
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/**
 * A date as a person types it, to ISO `yyyy-mm-dd`, or null when it is not a date: "2 Dec 2026",
 * "2 December 2026", "02/12/2026" (day first, as in Kenya), "2-12-2026", "2026-12-02".
 */
export function parseDate(text: string): string | null {
  const t = text.trim().replace(/,/g, ' ').replace(/\s+/g, ' ')
  if (t === '') return null
  let m = ISO_DATE.exec(t)
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]))
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t)
  if (m) return iso(Number(m[3]), Number(m[2]), Number(m[1]))
  m = /^(\d{1,2}) ([A-Za-z]+)\.? (\d{4})$/.exec(t)
  if (m) {
    const name = m[2].toLowerCase()
    const month = name.length >= 3 ? LONG_MONTHS.findIndex((full) => full.startsWith(name)) + 1 : 0
    if (month > 0 && (name.length === 3 || LONG_MONTHS[month - 1] === name || name === 'sept')) {
      return iso(Number(m[3]), month, Number(m[1]))
    }
  }
  return null
}

/** The last day of a month (1-based) as ISO. */
function lastDay(y: number, m: number): string {
  const d = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/**
 * A fiscal period label in words, on the company's calendar (a fiscal year is named by the year
 * it starts in, as the core's `budgets::period` says): with a July start, "FY2026" is
 * "1 Jul 2026 – 30 Jun 2027" and "2026-Q3" is "1 Jan 2027 – 31 Mar 2027"; "2027-03" is "Mar 2027".
 * Unknown labels come back as they are.
 */
export function describePeriod(label: string, fiscalStartMonth: number): string {
  const start = (year: number, monthOffset: number) => {
    const index = fiscalStartMonth - 1 + monthOffset
    return { y: year + Math.floor(index / 12), m: (index % 12) + 1 }
  }
  const span = (a: { y: number; m: number }, b: { y: number; m: number }) =>
    `${formatDate(`${a.y}-${String(a.m).padStart(2, '0')}-01`)} – ${formatDate(lastDay(b.y, b.m))}`
  let m = /^FY(\d{4})$/.exec(label)
  if (m) {
    const y = Number(m[1])
    return span(start(y, 0), start(y, 11))
  }
  m = /^(\d{4})-Q([1-4])$/.exec(label)
  if (m) {
    const y = Number(m[1])
    const q = Number(m[2]) - 1
    return span(start(y, q * 3), start(y, q * 3 + 2))
  }
  m = /^(\d{4})-(\d{2})$/.exec(label)
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return `${MONTHS[Number(m[2]) - 1]} ${m[1]}`
  return label
}

/** A calendar month "2026-07" as its short name and year: { month: "Jul", year: "2026" }. */
export function monthParts(yearMonth: string): { month: string; year: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(yearMonth)
  if (!m) return { month: yearMonth, year: '' }
  return { month: MONTHS[Number(m[2]) - 1] ?? m[2], year: m[1] }
}
