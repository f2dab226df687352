// The sales screens' shared vocabulary: labels and badge tones of sale types and statuses, the
// KRA tax bands, and the invoice editor's line model (what is typed in the grid, turned into the
// core's `NewSaleLine`). Amounts stay decimal strings: nothing here parses money into a number.
import type {
  NewSaleLine,
  ProductType,
  SaleLineView,
  SalesStatus,
  SalesType,
  TaxBand,
  TaxType,
} from './bindings'
import { formatAmount } from './money'

export const SALES_TYPES: SalesType[] = ['invoice', 'cash_sale', 'credit_note']

export const SALES_TYPE_LABELS: Record<SalesType, string> = {
  invoice: 'Invoice',
  credit_note: 'Credit note',
  cash_sale: 'Cash sale',
}

export function salesTypeLabel(type: SalesType): string {
  return SALES_TYPE_LABELS[type] ?? type
}

export const SALES_STATUSES: SalesStatus[] = ['draft', 'pending_approval', 'issued', 'fiscalised', 'void']

/** The words the document register and the sales export use (`SalesStatus::label` in the core). */
export const SALES_STATUS_LABELS: Record<SalesStatus, string> = {
  draft: 'Draft',
  pending_approval: 'Pending approval',
  issued: 'Issued, waiting for KRA',
  fiscalised: 'Signed by KRA',
  void: 'Void',
}

export function salesStatusLabel(status: SalesStatus): string {
  return SALES_STATUS_LABELS[status] ?? status
}

/** The badge class of a sale's status (app.css `.status.*`). */
export function salesStatusTone(status: SalesStatus): 'on' | 'off' | 'warn' | 'bad' | 'info' {
  switch (status) {
    case 'fiscalised':
      return 'on'
    case 'issued':
      return 'info'
    case 'pending_approval':
      return 'warn'
    case 'void':
      return 'bad'
    default:
      return 'off'
  }
}

export const PRODUCT_TYPES: ProductType[] = ['finished_good', 'service', 'raw_material']

export const PRODUCT_TYPE_LABELS: Record<ProductType, string> = {
  raw_material: 'Raw material',
  finished_good: 'Finished good',
  service: 'Service',
}

export const TAX_TYPES: TaxType[] = ['A', 'B', 'C', 'D', 'E']

/**
 * KRA's bands as published (e-TIMS code list 04), used until `sales_code_lists` answers; the
 * rates the core computes with come from there.
 */
export const DEFAULT_TAX_BANDS: TaxBand[] = [
  { tax_type: 'A', rate: '0', name: 'Exempt', label: 'A-EX' },
  { tax_type: 'B', rate: '16', name: 'Standard rated VAT', label: 'B-16%' },
  { tax_type: 'C', rate: '0', name: 'Zero rated', label: 'C-0%' },
  { tax_type: 'D', rate: '0', name: 'Non-VAT', label: 'D-Non-VAT' },
  { tax_type: 'E', rate: '8', name: 'Reduced VAT', label: 'E-8%' },
]

/** "B 16% — Standard rated VAT" for a select. */
export function taxBandOption(band: TaxBand): string {
  const rate = band.tax_type === 'A' || band.tax_type === 'D' ? '' : ` ${band.rate}%`
  return `${band.tax_type}${rate} — ${band.name}`
}

/** "A Exempt", "B 16%", "D Non-VAT": short, for a grid cell. */
export function taxBandShort(band: TaxBand): string {
  if (band.tax_type === 'A') return 'A Exempt'
  if (band.tax_type === 'D') return 'D Non-VAT'
  return `${band.tax_type} ${band.rate}%`
}

/** A line of the invoice editor's grid, as typed. */
export interface EditorLine {
  /** Stable across edits (the grid's keyed each). */
  key: number
  /** The chosen item's code; null for a line typed without one. */
  item: string | null
  /** The item cell: the item's name once chosen, else the line's description. */
  text: string
  quantity: string
  unitPrice: string
  /** Percent. */
  discount: string
  /** An amount discount a stored line carries (written elsewhere, e.g. the CLI): kept as is. */
  discountAmount: string | null
  taxType: TaxType | ''
  /** Credit notes: the position of the original's line it credits. */
  originalLine: number | null
}

let nextKey = 1

export function blankLine(): EditorLine {
  return {
    key: nextKey++,
    item: null,
    text: '',
    quantity: '1',
    unitPrice: '',
    discount: '',
    discountAmount: null,
    taxType: '',
    originalLine: null,
  }
}

/** A stored line back in the grid (editing a draft, or crediting an invoice). */
export function lineFromView(line: SaleLineView, credit = false): EditorLine {
  return {
    key: nextKey++,
    item: line.item_code,
    text: line.description,
    quantity: line.quantity,
    unitPrice: formatAmount(line.unit_price),
    discount: line.discount_kind === 'percent' ? line.discount_value : '',
    discountAmount: line.discount_kind === 'amount' ? line.discount_value : null,
    taxType: line.tax_type,
    originalLine: credit ? line.position : line.original_line,
  }
}

/** Nothing typed in it: left out of the sale (a fresh line at the end of the grid). */
export function isBlankLine(line: EditorLine): boolean {
  return line.item === null && line.text.trim() === '' && line.unitPrice.trim() === ''
}

/** "1,250.50" → "1250.50"; '' → null; anything else is not a decimal → undefined. */
export function decimalText(text: string): string | null | undefined {
  const plain = text.trim().replaceAll(',', '')
  if (plain === '') return null
  return /^\d+(\.\d+)?$/.test(plain) || /^\.\d+$/.test(plain) ? plain : undefined
}

/**
 * The line as the core takes it, or the message saying what to fix (numbered as in the grid).
 * A line with an item sends its description only when it was changed from the item's name.
 */
export function toNewSaleLine(
  line: EditorLine,
  position: number,
  itemName: (code: string) => string | undefined,
): NewSaleLine | string {
  const quantity = decimalText(line.quantity)
  if (quantity === undefined || quantity === null) {
    return line.quantity.trim() === ''
      ? `Line ${position} needs a quantity.`
      : `Line ${position}: the quantity '${line.quantity.trim()}' is not a number (write it like 2 or 1.5).`
  }
  const price = decimalText(line.unitPrice)
  if (price === undefined) {
    return `Line ${position}: the unit price '${line.unitPrice.trim()}' is not an amount (write it like 1500 or 1,500.50).`
  }
  const discount = decimalText(line.discount)
  if (discount === undefined) {
    return `Line ${position}: the discount '${line.discount.trim()}' is not a percentage (write it like 5 or 2.5).`
  }
  const text = line.text.trim()
  const description = line.item !== null && itemName(line.item) === text ? null : text === '' ? null : text
  return {
    item: line.item,
    description,
    quantity,
    unit_price: price,
    discount_percent: discount,
    discount_amount: discount === null ? line.discountAmount : null,
    tax_type: line.taxType === '' ? null : line.taxType,
    original_line: line.originalLine,
  }
}

/**
 * The core numbers lines by their place in what was sent; the grid may hold blank lines it left
 * out. `sent[i]` is the grid position (1-based) of the i-th line sent, so "Line 2: …" becomes
 * the grid's number.
 */
export function renumberLineMessage(message: string, sent: number[]): { message: string; line: number | null } {
  const match = /^Line (\d+)/.exec(message)
  if (!match) return { message, line: null }
  const grid = sent[Number(match[1]) - 1]
  if (grid === undefined) return { message, line: null }
  return { message: message.replace(/^Line \d+/, `Line ${grid}`), line: grid }
}
