// QuickBooks fixtures for the sales screens' tests: a sale's QuickBooks side as the core
// returns it (QboDocumentView).
import type { QboDocumentView } from '../lib/bindings'

export function qboView(extra: Partial<QboDocumentView> = {}): QboDocumentView {
  return {
    document_id: 's-1',
    entity: 'Invoice',
    qbo_id: '130',
    doc_number: '1037',
    label: 'QuickBooks invoice 1037',
    stage: 'done',
    words:
      'Attached and updated: the KRA receipt is attached to QuickBooks invoice 1037 and its CU invoice number KRACU0100000001/152 and ETR details are written on it.',
    fix: null,
    last_error: null,
    outbox_id: 'o-1',
    attachable_id: '5000000000000000001',
    link: 'https://app.qbo.intuit.com/app/invoice?txnId=130',
    location: 'QuickBooks Online',
    local_sandbox: false,
    review: null,
    ...extra,
  }
}
