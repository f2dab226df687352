// The e-TIMS screens' shared vocabulary: a sale's KRA status in words (the badge), how long KRA
// has been awaited, the checklist's fixes as the desktop does them (the core's name the `hesabu`
// commands), and the words of a send's state. Nothing here shows a raw enum value.
import type { FiscalBadge, FiscalState, GatewayProfile, KraStage } from './bindings'

/** `45 min`, `5 h`, `3 days`: how long KRA's signature has been awaited. */
export function waitedText(seconds: number | null): string {
  if (seconds === null) return ''
  if (seconds < 3600) return `${Math.max(1, Math.floor(seconds / 60))} min`
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)} h`
  return `${Math.floor(seconds / 86400)} days`
}

export const KRA_STAGE_LABELS: Record<KraStage, string> = {
  not_for_kra: 'Not sent to KRA',
  awaiting: 'Awaiting KRA signature',
  unknown: 'Unknown — being checked at KRA',
  signed: 'Signed by KRA',
  rejected: 'Rejected by KRA',
}

/** The badge's words: "Awaiting KRA signature (5 h)", "Signed by KRA", … */
export function badgeLabel(badge: FiscalBadge): string {
  const base = KRA_STAGE_LABELS[badge.stage] ?? badge.stage
  if ((badge.stage === 'awaiting' || badge.stage === 'unknown') && badge.waiting_seconds !== null) {
    return `${base} (${waitedText(badge.waiting_seconds)})`
  }
  return base
}

/** The badge colour class (app.css `.status.*`). */
export function badgeTone(stage: KraStage): 'on' | 'off' | 'warn' | 'bad' | 'info' {
  switch (stage) {
    case 'signed':
      return 'on'
    case 'rejected':
      return 'bad'
    case 'unknown':
      return 'warn'
    case 'awaiting':
      return 'info'
    default:
      return 'off'
  }
}

export const FISCAL_STATE_LABELS: Record<FiscalState, string> = {
  reserved: 'Number taken, being sent',
  unknown: 'Sent, no answer yet',
  signed: 'Signed',
  rejected: 'Rejected',
}

export const GATEWAY_LABELS: Record<GatewayProfile, string> = {
  legacy: 'Direct OSCU (etims-api)',
  integrator: 'GavaConnect integrator',
}

/** A workflow execution's state, as the fiscal queue names the sale's send. */
export function sendStatusLabel(status: string | null): string {
  switch (status) {
    case null:
      return 'Not queued'
    case 'pending':
      return 'Queued'
    case 'running':
      return 'Sending'
    case 'completed':
      return 'Sent'
    case 'failed':
      return 'Given up'
    case 'skipped':
      return 'Not sent (workflow skipped it)'
    default:
      return status.replaceAll('_', ' ')
  }
}

/**
 * What to do about a checklist problem in the desktop. The core's fixes name `hesabu` commands;
 * where the desktop has a screen for it, that is said instead, otherwise the core's words stay.
 */
export function desktopFix(code: string, coreFix: string): string {
  switch (code) {
    case 'no_device':
      return 'An administrator sets the device up under Sales › KRA e-TIMS (the serial declared on the eTIMS portal).'
    case 'no_sdc_id':
      return 'An administrator enters the SCU id and MRC number under Sales › KRA e-TIMS (Replace the device, with the key kept).'
    case 'not_issued':
      return 'Issue it first; it is numbered then.'
    case 'no_classification':
      return 'Open the item under Sales › Items and enter its KRA item classification code.'
    case 'no_reason':
      return 'A credit note needs a reason: raise it again and choose the reason.'
    case 'original_not_signed':
      return 'Send the original sale to KRA first; the credit note follows once KRA has signed it.'
    default:
      return coreFix
  }
}
