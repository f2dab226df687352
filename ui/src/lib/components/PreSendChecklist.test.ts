import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import { found } from '../../test/dom'
import { ACCOUNTANT } from '../../test/sales'
import { callsOf, commands } from '../../test/tauri'
import { app } from '../session.svelte'
import PreSendChecklist from './PreSendChecklist.svelte'

const BLOCKED = {
  document_id: 's-1',
  document_number: 'INV-000012',
  ready: false,
  problems: [
    { code: 'no_device', message: 'This company has no e-TIMS device.', fix: 'Set it up: `hesabu etims device init --serial SERIAL`.' },
    { code: 'customer_pin', message: "The customer's KRA PIN 'X1' is not a valid PIN.", fix: "Correct the customer's PIN, credit this sale and issue it again." },
  ],
}

describe('PreSendChecklist', () => {
  it('lists every blocking problem with its fix, in the desktop’s words', async () => {
    commands({ etims_checklist: () => BLOCKED })
    app.session = ACCOUNTANT
    render(PreSendChecklist, { documentId: 's-1' })
    const list = await found('#pre-send-problems')
    const items = [...list.querySelectorAll('li')]
    expect(items.map((li) => li.dataset.code)).toEqual(['no_device', 'customer_pin'])
    expect(items[0].textContent).toContain('no e-TIMS device')
    expect(items[0].querySelector('.pre-send-fix')!.textContent).toContain('Sales › KRA e-TIMS')
    expect(items[0].textContent).not.toContain('hesabu etims')
    expect(items[1].querySelector('.pre-send-fix')!.textContent).toContain('credit this sale and issue it again')
    expect(document.getElementById('pre-send-blocked')!.textContent).toContain('2 things stop')
    expect(callsOf('etims_checklist')[0]).toEqual({ key: 's-1' })
  })

  it('says when nothing blocks it, and shows the JSON on request', async () => {
    commands({
      etims_checklist: () => ({ ...BLOCKED, ready: true, problems: [] }),
      etims_payload: () => ({ document_number: 'INV-000012', frozen: true, json: '{\n  "invcNo": 7\n}' }),
    })
    app.session = ACCOUNTANT
    render(PreSendChecklist, { documentId: 's-1' })
    await found('#pre-send-ready')
    expect(document.getElementById('pre-send-payload')).toBeNull()
    await fireEvent.click(document.getElementById('pre-send-payload-toggle')!)
    expect((await found('#pre-send-payload')).textContent).toContain('"invcNo": 7')
    expect(document.getElementById('pre-send-payload-kind')!.textContent).toContain('resend sends it unchanged')
    await fireEvent.click(document.getElementById('pre-send-payload-toggle')!)
    await waitFor(() => expect(document.getElementById('pre-send-payload')).toBeNull())
    expect(callsOf('etims_payload')).toHaveLength(1)
  })
})
