// Fixtures of the e-TIMS page's KRA's records, compositions, insurers and imported items panels,
// as the desktop returns them.
import type {
  CompositionRow,
  ImportRow,
  ImportsView,
  InsurerRow,
  KraListInfo,
  KraRecordsView,
  SalesDifference,
} from '../lib/bindings'
import { item } from './sales'

export const FETCHED_AT = '2026-12-02T05:00:00.000Z'

export function listInfo(list: string, extra: Partial<KraListInfo> = {}): KraListInfo {
  return { list, records: 2, refreshed_at: FETCHED_AT, last_error: null, ...extra }
}

export function difference(extra: Partial<SalesDifference> = {}): SalesDifference {
  return {
    kind: 'differs',
    invc_no: 152,
    document: 'INV-000012',
    kra_total: '116.00',
    local_total: '100.00',
    local_state: 'signed',
    ...extra,
  }
}

export function records(extra: Partial<KraRecordsView> = {}): KraRecordsView {
  return {
    lists: ['branches', 'items', 'imports', 'sales', 'customers', 'taxpayer'].map((l) => listInfo(l)),
    branches: [
      {
        bhf_id: '00',
        name: 'Headquarters',
        open: true,
        head_office: true,
        county: 'Nairobi',
        location: 'Moi Avenue',
        manager: 'Amina Odhiambo',
        manager_phone: '0700000000',
        manager_email: null,
        this_device: true,
      },
    ],
    items: [
      {
        item_cd: 'KE2NTBA0000001',
        name: 'Soap 1kg',
        classification: '53131608',
        tax_type: 'B',
        quantity_unit: 'KG',
        default_price: '250.00',
        local_code: 'SOAP-1',
      },
    ],
    sales: [
      {
        invc_no: 151,
        document: 'INV-000011',
        credit_note: false,
        customer_name: 'Acme Hardware Ltd',
        customer_pin: 'P051111111A',
        sales_date: '20261201',
        total: '5800.00',
        tax: '800.00',
      },
      {
        invc_no: 152,
        document: 'INV-000012',
        credit_note: false,
        customer_name: 'Acme Hardware Ltd',
        customer_pin: null,
        sales_date: '20261201',
        total: '116.00',
        tax: '16.00',
      },
    ],
    reconciliation: {
      fetched: true,
      complete: true,
      as_of: FETCHED_AT,
      kra_sales: 2,
      local_signed: 2,
      differences: [difference()],
    },
    customers: [{ cust_no: 'C-0001', pin: 'P051111111A', name: 'Acme Hardware Ltd', in_use: true }],
    taxpayer: { tin: 'P051234567X', name: 'SAVANNAH TRADERS LTD', active: true, county: 'Nairobi', location: 'Moi Avenue' },
    ...extra,
  }
}

export const SOAP = item({ id: 'it-soap', code: 'SOAP-1', name: 'Soap 1kg', etims_state: 'registered' })
export const BOX = item({ id: 'it-box', code: 'BOX-1', name: 'Gift box', etims_state: 'registered' })
export const HAMPER = item({ id: 'it-hamper', code: 'HAMPER', name: 'Gift hamper', etims_state: 'registered' })
export const NEW_ITEM = item({ id: 'it-new', code: 'NEW-1', name: 'Not at KRA yet', etims_state: 'unregistered' })
export const ITEMS = [SOAP, BOX, HAMPER, NEW_ITEM]

export function composition(extra: Partial<CompositionRow> = {}): CompositionRow {
  return {
    item_id: HAMPER.id,
    code: HAMPER.code,
    name: HAMPER.name,
    components: [
      { item_id: SOAP.id, code: SOAP.code, name: SOAP.name, quantity: '2' },
      { item_id: BOX.id, code: BOX.code, name: BOX.name, quantity: '1' },
    ],
    sync_state: 'done',
    sync_error: null,
    updated_at: FETCHED_AT,
    ...extra,
  }
}

export function insurer(extra: Partial<InsurerRow> = {}): InsurerRow {
  return {
    id: 'ins-1',
    code: 'AAR01',
    name: 'AAR Insurance',
    premium_rate: '12.5',
    active: true,
    sync_state: 'ready',
    sync_error: null,
    updated_at: FETCHED_AT,
    ...extra,
  }
}

export function importRow(extra: Partial<ImportRow> = {}): ImportRow {
  return {
    reference: '2231943/20261128/1',
    declared_on: '20261128',
    declaration_no: 'C3460-2026-NBO',
    line: 1,
    hs_code: '3401110000',
    name: 'Soap 1kg',
    kra_status: '2',
    quantity: '500',
    quantity_unit: 'KG',
    supplier: 'Dubai Soaps LLC',
    open: true,
    answer: null,
    ...extra,
  }
}

export function importsView(items: ImportRow[]): ImportsView {
  return { items, refreshed_at: FETCHED_AT, last_error: null }
}
