import { render } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { REJECTED, SIGNED, UNKNOWN, badge } from '../../test/etims'
import FiscalStatus from './FiscalStatus.svelte'

describe('FiscalStatus', () => {
  it('shows an awaiting sale with its age', () => {
    render(FiscalStatus, { badge: badge(), id: 'b' })
    const b = document.querySelector('#b .fiscal-badge')!
    expect(b.textContent).toBe('Awaiting KRA signature (5 h)')
    expect(b.className).toContain('info')
    expect(document.getElementById('b')!.dataset.stage).toBe('awaiting')
  })

  it('shows a signed sale with its CU invoice number', () => {
    render(FiscalStatus, { badge: SIGNED, id: 'b' })
    expect(document.querySelector('#b .fiscal-badge')!.textContent).toBe('Signed by KRA')
    expect(document.querySelector('#b .fiscal-cu')!.textContent).toBe('CU invoice KRACU0100000001/152')
  })

  it('shows KRA’s message inline when it rejected the sale, even compact', () => {
    render(FiscalStatus, { badge: REJECTED, compact: true, id: 'b' })
    expect(document.querySelector('#b .fiscal-badge')!.className).toContain('bad')
    expect(document.querySelector('#b .fiscal-kra-message')!.textContent!.trim()).toBe(
      'KRA: Request parameter error: custTin is invalid (code 910)',
    )
  })

  it('explains an unknown outcome in full, and keeps it short in a list', () => {
    render(FiscalStatus, { badge: UNKNOWN, id: 'full' })
    expect(document.querySelector('#full .fiscal-badge')!.textContent).toBe('Unknown — being checked at KRA (40 min)')
    expect(document.querySelector('#full .fiscal-note')!.textContent).toContain('e-TIMS invoice 8')
    render(FiscalStatus, { badge: UNKNOWN, compact: true, id: 'short' })
    expect(document.querySelector('#short .fiscal-note')).toBeNull()
  })
})
