// Fixtures of the e-TIMS screens' tests: badges, a device, queue rows as the desktop returns them.
import type { DeviceView, EtimsDeviceInfo, FiscalBadge, FiscalQueueRow } from '../lib/bindings'

export function badge(extra: Partial<FiscalBadge> = {}): FiscalBadge {
  return {
    document_id: 's-1',
    document_number: 'INV-000012',
    document_status: 'issued',
    stage: 'awaiting',
    fiscal_state: null,
    waiting_seconds: 5 * 3600,
    cu_invoice_no: null,
    signed_at: null,
    kra_code: null,
    kra_message: null,
    invc_no: null,
    attempts: 0,
    last_attempt_at: null,
    ...extra,
  }
}

export const SIGNED = badge({
  document_status: 'fiscalised',
  stage: 'signed',
  fiscal_state: 'signed',
  waiting_seconds: null,
  cu_invoice_no: 'KRACU0100000001/152',
  signed_at: '2026-12-01T06:00:05.000Z',
  invc_no: 152,
  attempts: 1,
})

export const REJECTED = badge({
  stage: 'rejected',
  fiscal_state: 'rejected',
  waiting_seconds: null,
  kra_code: '910',
  kra_message: 'Request parameter error: custTin is invalid',
  invc_no: 7,
  attempts: 1,
})

export const UNKNOWN = badge({
  stage: 'unknown',
  fiscal_state: 'unknown',
  waiting_seconds: 40 * 60,
  invc_no: 8,
  attempts: 2,
  last_attempt_at: '2026-12-01T07:00:00.000Z',
})

export function device(extra: Partial<DeviceView> = {}): DeviceView {
  return {
    company_id: 'co-1',
    gateway: 'legacy',
    base_url: 'https://etims-api-sbx.kra.go.ke/etims-api/',
    token_url: null,
    consumer_key: null,
    tin: 'P051234567X',
    bhf_id: '00',
    dvc_srl_no: 'SN-0001',
    dvc_id: '1234567890',
    sdc_id: 'KRACU0100000001',
    mrc_no: 'WIS01000150',
    taxpayer_name: 'SAVANNAH TRADERS LTD',
    branch_name: 'Headquarters',
    key_source: 'init',
    initialised_at: '2026-12-01T06:00:00.000Z',
    initialised_by: 'u-admin',
    last_invc_no: 152,
    unused_band_rate: 'zero',
    price_basis: 'exclusive',
    updated_at: '2026-12-01T06:00:00.000Z',
    ...extra,
  }
}

export function deviceInfo(d: DeviceView | null = null): EtimsDeviceInfo {
  return {
    device: d,
    production: false,
    legacy_sandbox_url: 'https://etims-api-sbx.kra.go.ke/etims-api/',
    legacy_production_url: 'https://etims-api.kra.go.ke/etims-api/',
    integrator_sandbox_url: 'https://sbx.kra.go.ke/etims-oscu/api/v1',
    integrator_token_url: 'https://sbx.kra.go.ke/v1/token/generate',
  }
}

export function queueRow(b: FiscalBadge, extra: Partial<FiscalQueueRow> = {}): FiscalQueueRow {
  return {
    badge: b,
    doc_type: 'invoice',
    customer_name: 'Acme Hardware Ltd',
    issue_date: '2026-12-01',
    currency: 'KES',
    total: '125000.00',
    send_status: 'pending',
    send_error: null,
    retry_execution: null,
    ...extra,
  }
}
