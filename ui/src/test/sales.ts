// Fixtures of the sales ledger for the screens' tests: roles, a customer, an item, code lists,
// a computed band table and sales as the core returns them.
import type {
  BandTotals,
  CustomerView,
  DocumentTotals,
  ItemView,
  Permission,
  SaleSummary,
  SaleView,
  SalesCodeLists,
  SessionInfo,
  TaxType,
} from '../lib/bindings'
import { FINANCE_USER } from './tauri'

const SALES_WORK: Permission[] = ['sales_view', 'sales_draft', 'sales_issue', 'sales_credit', 'sales_master_data']

/** An accountant: writes, issues and credits sales, keeps customers and items; does not void. */
export const ACCOUNTANT: SessionInfo = { ...FINANCE_USER, permissions: [...FINANCE_USER.permissions, ...SALES_WORK] }

/** A finance manager: everything, voiding too. */
export const MANAGER: SessionInfo = {
  ...ACCOUNTANT,
  user_id: 'u-cfo',
  email: 'cfo@demo.test',
  name: 'Peter Kamau',
  role: 'finance_manager',
  permissions: [...ACCOUNTANT.permissions, 'sales_void', 'sales_settings'],
}

/** An auditor: sees everything, changes nothing. */
export const AUDITOR: SessionInfo = {
  user_id: 'u-audit',
  email: 'auditor@demo.test',
  name: 'Faith Njeri',
  role: 'auditor',
  permissions: ['company_view', 'audit_view', 'sales_view'],
}

export const CODE_LISTS: SalesCodeLists = {
  tax_types: [
    { tax_type: 'A', rate: '0', name: 'Exempt', label: 'A-EX' },
    { tax_type: 'B', rate: '16', name: 'Standard rated VAT', label: 'B-16%' },
    { tax_type: 'C', rate: '0', name: 'Zero rated', label: 'C-0%' },
    { tax_type: 'D', rate: '0', name: 'Non-VAT', label: 'D-Non-VAT' },
    { tax_type: 'E', rate: '8', name: 'Reduced VAT', label: 'E-8%' },
  ],
  quantity_units: [
    { code: 'KG', name: 'kilogram' },
    { code: 'NO', name: 'number' },
    { code: 'U', name: 'pieces/item' },
  ],
  packaging_units: [
    { code: 'NT', name: 'net' },
    { code: 'OU', name: 'non-exterior packaging unit (services)' },
    { code: 'BG', name: 'bag' },
  ],
  credit_note_reasons: [
    { code: '01', name: 'missing quantity' },
    { code: '06', name: 'refund' },
  ],
  payment_methods: ['cash', 'mpesa', 'bank'],
}

export function customer(extra: Partial<CustomerView> = {}): CustomerView {
  return {
    id: 'cu-1',
    number: 'C-00001',
    name: 'Acme Hardware Ltd',
    kra_pin: 'P051234567X',
    customer_type: 'b2b',
    email: 'accounts@acme.co.ke',
    mobile: '0712345678',
    address: 'Industrial Area, Nairobi',
    credit_limit: '500000',
    active: true,
    qbo_id: null,
    etims_state: 'unregistered',
    created_at: '2026-11-01T08:00:00Z',
    updated_at: '2026-11-01T08:00:00Z',
    ...extra,
  }
}

export function item(extra: Partial<ItemView> = {}): ItemView {
  return {
    id: 'it-1',
    code: 'SRV-001',
    name: 'Consulting (per day)',
    classification_code: null,
    packaging_unit: 'OU',
    quantity_unit: 'NO',
    tax_type: 'B',
    product_type: 'service',
    origin_country: 'KE',
    unit_price: '5000',
    barcode: null,
    service_level: null,
    active: true,
    kra_item_code: 'KE3OUNO0000001',
    qbo_id: null,
    etims_state: 'unregistered',
    created_at: '2026-11-01T08:00:00Z',
    updated_at: '2026-11-01T08:00:00Z',
    ...extra,
  }
}

function band(tax_type: TaxType, rate: string, taxable = '0.00', tax = '0.00', used = false): BandTotals {
  return { tax_type, rate, taxable_amount: taxable, tax_amount: tax, used }
}

/** One line of 5,000.00 inclusive in band B, as the core computes it. */
export const TOTALS: DocumentTotals = {
  basis: 'inclusive',
  lines: [
    {
      tax_type: 'B',
      rate: '16.00',
      supply_amount: '5000.00',
      discount_rate: '0.00',
      discount_amount: '0.00',
      taxable_amount: '4310.34',
      tax_amount: '689.66',
      total_amount: '5000.00',
    },
  ],
  bands: [
    band('A', '0.00'),
    band('B', '16.00', '4310.34', '689.66', true),
    band('C', '0.00'),
    band('D', '0.00'),
    band('E', '8.00'),
  ],
  total_before_discount: '5000.00',
  total_discount: '0.00',
  total_taxable: '4310.34',
  total_tax: '689.66',
  total: '5000.00',
}

export function summary(extra: Partial<SaleSummary> = {}): SaleSummary {
  return {
    id: 's-1',
    doc_type: 'invoice',
    status: 'issued',
    number: 'INV-000012',
    customer_name: 'Acme Hardware Ltd',
    customer_pin: 'P051234567X',
    issue_date: '2026-12-01',
    currency: 'KES',
    total: '125000.00',
    total_kes: '125000.00',
    created_at: '2026-12-01T09:00:00Z',
    ...extra,
  }
}

export function sale(extra: Partial<SaleView> = {}): SaleView {
  return {
    id: 's-1',
    doc_type: 'invoice',
    status: 'issued',
    number: 'INV-000012',
    customer_id: 'cu-1',
    customer_number: 'C-00001',
    customer_name: 'Acme Hardware Ltd',
    customer_pin: 'P051234567X',
    issue_date: '2026-12-01',
    due_date: '2026-12-31',
    currency: 'KES',
    exchange_rate: '1',
    price_basis: 'inclusive',
    payment_method: null,
    amount_paid: '0',
    notes: null,
    original_id: null,
    original_number: null,
    reason_code: null,
    lines: [
      {
        position: 1,
        item_id: 'it-1',
        item_code: 'SRV-001',
        description: 'Consulting (per day)',
        quantity: '1',
        unit_price: '5000',
        discount_kind: 'none',
        discount_value: '0',
        tax_type: 'B',
        tax_rate: '16.00',
        supply_amount: '5000.00',
        discount_amount: '0.00',
        taxable_amount: '4310.34',
        tax_amount: '689.66',
        total_amount: '5000.00',
        original_line: null,
      },
    ],
    totals: TOTALS,
    total_kes: '5000.00',
    created_by: 'u-grace',
    created_at: '2026-12-01T09:00:00Z',
    issued_at: '2026-12-01T09:05:00Z',
    fiscalised_at: null,
    voided_at: null,
    void_reason: null,
    warnings: [],
    ...extra,
  }
}
