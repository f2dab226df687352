// The sales screens' QuickBooks vocabulary: a sale's write-back stage in a few words and its
// badge tone (the long words, the fix and the link come from the core's QboDocumentView).
import type { QboDocumentView, WriteBack } from './bindings'

const STAGE_LABELS: Record<WriteBack, string> = {
  awaiting_signature: 'Waiting for KRA signature',
  waiting_for_pull: 'Signed; queued at next pull',
  queued: 'Queued for QuickBooks',
  retrying: 'Retrying',
  done: 'Attached and updated',
  failed: 'Write-back failed',
  not_written_back: 'Not written back',
}

/** The write-back stage in a few words, for a badge. */
export function writeBackLabel(stage: WriteBack): string {
  return STAGE_LABELS[stage]
}

export function writeBackTone(stage: WriteBack): 'on' | 'off' | 'warn' | 'bad' | 'info' {
  switch (stage) {
    case 'done':
      return 'on'
    case 'failed':
      return 'bad'
    case 'retrying':
      return 'warn'
    case 'not_written_back':
      return 'off'
    default:
      return 'info'
  }
}

/** "Invoice 1003" (its DocNumber, else its Id): the short name of the QuickBooks transaction. */
export function qboShortName(view: QboDocumentView): string {
  const entity = view.entity === 'SalesReceipt' ? 'Sales receipt' : view.entity === 'CreditMemo' ? 'Credit memo' : 'Invoice'
  return `${entity} ${view.doc_number ?? view.qbo_id}`
}
