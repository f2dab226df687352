// The words of the e-TIMS page's KRA's records, compositions, insurers and imported items panels
// (ui/src/screens/etims/): what each of KRA's lists is called, what a difference between KRA's
// sales list and the company file means and what to do about it, and where sending a record to
// KRA stands. Written for accountants: no endpoint names, no commands.
import type { FiscalState, ImportRow, SalesDifference, SalesReconciliation } from './bindings'
import { formatDate, formatDateTime } from './dates'
import { FISCAL_STATE_LABELS } from './etims'
import { formatAmount } from './money'

/** KRA's lists, in the order the panel shows them (`KraList::as_str`). */
export const KRA_LISTS = ['taxpayer', 'branches', 'sales', 'items', 'imports', 'customers'] as const
export type KraListName = (typeof KRA_LISTS)[number]

export const KRA_LIST_LABELS: Record<KraListName, string> = {
  taxpayer: 'Taxpayer',
  branches: 'Branches',
  sales: 'KRA’s record of our sales',
  items: 'Items registered at KRA',
  imports: 'Imported items',
  customers: 'Branch customers',
}

export function kraListLabel(list: string): string {
  return (KRA_LIST_LABELS as Record<string, string>)[list] ?? list
}

/** When a list was last fetched, in words. */
export function fetchedText(refreshedAt: string | null): string {
  return refreshedAt ? `Fetched from KRA ${formatDateTime(refreshedAt)}` : 'Not fetched from KRA yet'
}

/** KRA's `yyyyMMdd` (or `yyyyMMddHHmmss`) as a date. */
export function kraDate(text: string | null): string {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(text ?? '')
  return m ? formatDate(`${m[1]}-${m[2]}-${m[3]}`) : (text ?? '')
}

function amount(text: string | null): string {
  return text === null ? 'an unknown total' : `KES ${formatAmount(text)}`
}

function sale(d: SalesDifference): string {
  return d.document ? `${d.document} (e-TIMS invoice ${d.invc_no})` : `e-TIMS invoice ${d.invc_no}`
}

/** A difference's heading: what disagrees, in a few words. */
export function differenceTitle(d: SalesDifference): string {
  switch (d.kind) {
    case 'signed_at_kra_only':
      return d.local_state === null ? 'Signed at KRA, not in this company file' : 'Signed at KRA, not yet here'
    case 'missing_at_kra':
      return 'Signed here, missing at KRA'
    case 'differs':
      return 'KRA holds different figures'
  }
}

/** What a difference between KRA's sales list and the company file means, and what to do. */
export function differenceText(d: SalesDifference): string {
  switch (d.kind) {
    case 'signed_at_kra_only':
      if (d.local_state === null) {
        return (
          `KRA signed ${sale(d)} for ${amount(d.kra_total)}, but this company file has no sale with that number. ` +
          'Another program or another copy of this company file signed it with the same device: find that sale and record it here, or ask KRA.'
        )
      }
      return (
        `KRA signed ${sale(d)}, while this company file still shows it as “${FISCAL_STATE_LABELS[d.local_state as FiscalState] ?? d.local_state}”. ` +
        'Nothing to do: the next sync asks KRA first and records KRA’s signature.'
      )
    case 'missing_at_kra':
      return (
        `This company file holds KRA’s signature for ${sale(d)} (${amount(d.local_total)}), but KRA’s sales list does not have it. ` +
        'Look the invoice up on the eTIMS portal and raise it with KRA (timsupport@kra.go.ke) if KRA has no record.'
      )
    case 'differs':
      if (d.kra_total !== null && d.local_total !== null && d.kra_total !== d.local_total) {
        return (
          `KRA holds ${sale(d)} with a total of ${amount(d.kra_total)}; this company file signed it for ${amount(d.local_total)}. ` +
          'Compare the receipt with the eTIMS portal and tell KRA or your accountant which is right.'
        )
      }
      return (
        `KRA holds e-TIMS invoice ${d.invc_no} under document number ${d.document ?? 'unknown'}, not the number this company file signed it under. ` +
        'Compare the receipt with the eTIMS portal and tell KRA or your accountant which is right.'
      )
  }
}

/** The reconciliation in one sentence. */
export function reconciliationSummary(r: SalesReconciliation): string {
  if (!r.fetched) return 'KRA’s record of our sales has not been fetched yet, so it cannot be compared with this company file.'
  const n = r.differences.length
  if (n === 0) {
    return `KRA’s ${r.kra_sales} ${r.kra_sales === 1 ? 'sale' : 'sales'} and this company file’s ${r.local_signed} signed ${r.local_signed === 1 ? 'sale' : 'sales'} agree.`
  }
  return `${n} ${n === 1 ? 'sale differs' : 'sales differ'} between KRA and this company file: each is listed below with what to do.`
}

/** Whether sales missing at KRA can be told (KRA's list fetched from the start). */
export function completenessNote(r: SalesReconciliation): string | null {
  if (!r.fetched || r.complete) return null
  return 'KRA’s list has only been fetched in part, so a sale missing at KRA cannot be told yet.'
}

/** Where sending a record (an insurer, a composition, an answer) to KRA stands. */
export function syncStateLabel(state: string | null): string {
  switch (state) {
    case null:
      return 'Not sent to KRA'
    case 'ready':
      return 'Waiting for the next sync'
    case 'in_flight':
      return 'Being sent to KRA'
    case 'done':
      return 'KRA has it'
    case 'dead':
      return 'Not accepted by KRA'
    default:
      return state.replaceAll('_', ' ')
  }
}

export function syncTone(state: string | null): 'on' | 'warn' | 'bad' | 'off' {
  if (state === 'done') return 'on'
  if (state === 'dead') return 'bad'
  if (state === null) return 'off'
  return 'warn'
}

/** An imported item's status in words. */
export function importStatusLabel(row: ImportRow): string {
  if (row.answer) {
    const what = row.answer.decision === 'accepted' ? `Accepted as ${row.answer.item_code ?? 'an item'}` : 'Rejected'
    return `${what} · ${syncStateLabel(row.answer.sync_state)}`
  }
  switch (row.kra_status) {
    case '3':
      return 'Approved at KRA'
    case '4':
      return 'Cancelled at KRA'
    default:
      return 'Waiting for your answer'
  }
}

/** A percent as typed (`20`, `12.5`, `12.5%`): 0 to 100 with at most 2 decimals. */
export function isPercent(text: string): boolean {
  const t = text.trim().replace(/%$/, '').trim()
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(t)) return false
  return Number(t) <= 100
}

/** A quantity as typed: a number greater than 0, with a dot for decimals. */
export function isQuantity(text: string): boolean {
  const t = text.trim()
  return /^\d+(\.\d+)?$/.test(t) && Number(t) > 0
}
