import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { save } from '@tauri-apps/plugin-dialog'
import { describe, expect, it, vi } from 'vitest'
import type { AuditEntryView } from '../lib/bindings'
import { app } from '../lib/session.svelte'
import { AUDITOR, EMPLOYEE, callsOf, commands } from '../test/tauri'
import AuditPage from './AuditPage.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

function entry(seq: number, extra: Partial<AuditEntryView> = {}): AuditEntryView {
  return {
    seq,
    id: `a${seq}`,
    at: '2026-12-02T05:30:00.000Z',
    actor_email: 'accountant@demo.test',
    actor_name: 'Grace Wanjiru',
    action: 'budget.reserve',
    entity_type: 'budget',
    entity_id: '0193f1c2-aaaa-bbbb-cccc-000000000001',
    before: null,
    after: { amount: '25000', request: 'PO-000012' },
    hash: 'h',
    ...extra,
  }
}

describe('AuditPage', () => {
  it('reads the log in words, in the company zone, and pages by sequence', async () => {
    commands({
      users_list: () => [{ id: 'u1', name: 'Grace Wanjiru', email: 'accountant@demo.test', role: 'finance_user', active: true }],
      audit_search: ({ query }) =>
        (query as { before_seq: number | null }).before_seq === null
          ? { entries: [entry(12), entry(11, { actor_name: null, actor_email: 'system', action: 'approval.remind' })], more: true }
          : { entries: [entry(10)], more: false },
    })
    app.session = AUDITOR
    render(AuditPage)
    await waitFor(() => expect(document.querySelector('tr[data-seq="12"]')).not.toBeNull())
    const cells = [...document.querySelectorAll('tr[data-seq="12"] td')].map((c) => c.textContent?.trim())
    expect(cells.slice(1, 4)).toEqual(['2 Dec 2026, 08:30', 'Grace Wanjiru', 'Budget reserved'])
    expect(document.querySelector('tr[data-seq="11"]')!.textContent).toContain('Hesabu (scheduled work)')
    expect(document.querySelector('tr[data-seq="11"]')!.textContent).toContain('Approval reminder sent')
    await fireEvent.click(document.getElementById('audit-more')!)
    await waitFor(() => expect(document.querySelector('tr[data-seq="10"]')).not.toBeNull())
    expect((callsOf('audit_search')[1] as { query: { before_seq: number } }).query.before_seq).toBe(11)
    expect(document.getElementById('audit-more')).toBeNull()
  })

  it('verifies the chain and names the first broken entry', async () => {
    commands({
      users_list: () => [],
      audit_search: () => ({ entries: [], more: false }),
      audit_verify: () => ({
        ok: false,
        entries_checked: 41,
        first_broken: { seq: 42, id: 'a42', action: 'budget.reserve', at: '2026-12-02T05:30:00.000Z', reason: 'its hash does not match its content' },
      }),
    })
    app.session = AUDITOR
    render(AuditPage)
    await fireEvent.click(document.getElementById('audit-verify')!)
    const result = await waitFor(() => {
      const el = document.getElementById('audit-verify-result')
      expect(el).not.toBeNull()
      return el!
    })
    expect(result.dataset.ok).toBe('false')
    expect(result.textContent).toContain('Entry #42 (Budget reserved, 2 Dec 2026, 08:30)')
    expect(result.textContent).toContain('its hash does not match its content')
  })

  it('is not offered to a role without the audit log, and calls nothing', () => {
    commands({})
    app.session = EMPLOYEE
    render(AuditPage)
    expect(document.getElementById('audit-not-allowed')).not.toBeNull()
    expect(document.getElementById('audit-verify')).toBeNull()
    expect(callsOf('audit_search')).toHaveLength(0)
  })

  it('exports every entry the filters match', async () => {
    vi.mocked(save).mockReset()
    vi.mocked(save).mockResolvedValueOnce('/home/david/Audit log.xlsx')
    commands({
      users_list: () => [],
      audit_search: () => ({ entries: [entry(2)], more: true }),
      export_list: () => ({ path: '/home/david/Audit log.xlsx', format: 'xlsx', rows: 5210, bytes: 400_000 }),
    })
    app.session = AUDITOR
    render(AuditPage)
    await waitFor(() => expect(callsOf('audit_search')).toHaveLength(1))
    await fireEvent.input(document.getElementById('audit-action')!, { target: { value: 'budget.' } })
    await fireEvent.click(document.getElementById('audit-export-xlsx')!)
    await waitFor(() => expect(callsOf('export_list')).toHaveLength(1))
    const call = callsOf('export_list')[0] as { request: { list: string; query: Record<string, unknown> }; format: string }
    expect(call.request.list).toBe('audit_log')
    expect(call.request.query).toMatchObject({ action: 'budget.', before_seq: null })
    expect(call.format).toBe('xlsx')
    await waitFor(() => expect(document.getElementById('audit-export-result')!.textContent).toBe('Exported 5,210 rows to /home/david/Audit log.xlsx.'))
  })
})
