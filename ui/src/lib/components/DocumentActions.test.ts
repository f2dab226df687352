// The actions the core has beyond approve/reject: the requester's resubmit (with a note), recall
// and cancel in the document detail, and the approver's return, clarify and hand-over in the
// decision bar. Each shows the core's message inline when it refuses.
import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import ApprovalsPage from '../../screens/ApprovalsPage.svelte'
import type { ActionResult, DocumentView, HistoryEntry, InboxItem, SessionInfo, UserView } from '../bindings'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { callsOf, commands, wireError } from '../../test/tauri'
import DocumentDetail from './DocumentDetail.svelte'

const CLERK: SessionInfo = {
  user_id: 'u-kevin',
  email: 'storekeeper@demo.test',
  name: 'Kevin Otieno',
  role: 'employee',
  permissions: ['company_view', 'department_view', 'document_create', 'approval_act'],
}

const MANAGER: SessionInfo = {
  user_id: 'u-john',
  email: 'ops.manager@demo.test',
  name: 'John Mwangi',
  role: 'approver',
  permissions: ['company_view', 'user_view', 'document_create', 'approval_act'],
}

function doc(extra: Partial<DocumentView> = {}): DocumentView {
  return {
    id: 'doc-1',
    doc_type: 'purchase_order',
    number: 'PO-000009',
    title: 'Printer toner',
    requester_email: 'storekeeper@demo.test',
    requester_name: 'Kevin Otieno',
    department: 'Operations',
    amount: '12500.00',
    currency: 'KES',
    category: null,
    project: null,
    facts: {},
    status: 'pending_approval',
    lines: [],
    current_request: null,
    budget_status: null,
    budget_note: null,
    created_at: '2026-03-01T08:00:00Z',
    updated_at: '2026-03-01T08:00:00Z',
    ...extra,
  }
}

// As the core records a clarification request: action `clarify`, in words for people.
const returned: HistoryEntry = {
  at: '2026-03-01T09:00:00Z',
  action: 'clarify',
  action_label: 'asked for clarification',
  actor_name: 'John Mwangi',
  actor_email: 'ops.manager@demo.test',
  on_behalf_of_name: null,
  level: 1,
  level_name: 'Reporting manager',
  comment: 'Which supplier?',
  sla_met: true,
  text: 'John Mwangi: asked for clarification (level 1, Reporting manager) — Which supplier?',
}

const edited: HistoryEntry = {
  at: '2026-03-02T09:00:00Z',
  action: 'edited',
  action_label: 'edited',
  actor_name: 'Kevin Otieno',
  actor_email: 'storekeeper@demo.test',
  on_behalf_of_name: null,
  level: null,
  level_name: null,
  comment: 'amount KES 60,000.00 → KES 20,000.00',
  sla_met: null,
  text: 'Kevin Otieno: edited — amount KES 60,000.00 → KES 20,000.00',
}

describe('DocumentDetail requester actions', () => {
  it('resubmits a document that came back, with the note, and reports the new status', async () => {
    let current = doc({ status: 'clarification_requested' })
    const changed: DocumentView[] = []
    commands({
      document_show: () => current,
      document_history: () => [returned],
      document_resubmit: () => (current = doc({ status: 'pending_approval' })),
    })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1', onchanged: (d: DocumentView) => changed.push(d) })
    await fireEvent.click(await found('#doc-resubmit'))
    expect(document.getElementById('document-actions')!.textContent).toContain('Which supplier?')
    const note = await found<HTMLInputElement>('#doc-resubmit-note')
    expect(document.activeElement).toBe(note)
    await fireEvent.input(note, { target: { value: 'Davis & Shirtliff' } })
    await fireEvent.click(document.getElementById('doc-action-confirm')!)
    await waitFor(() => expect(callsOf('document_resubmit')).toEqual([{ id: 'doc-1', note: 'Davis & Shirtliff' }]))
    expect((await found('#document-action-notice')).textContent).toContain('PO-000009 resubmitted')
    expect(document.getElementById('document-status')!.textContent).toBe('Pending approval')
    expect(changed.map((d) => d.status)).toEqual(['pending_approval'])
    // Pending now: recall and cancel are offered, resubmit is not.
    expect(document.getElementById('doc-resubmit')).toBeNull()
    expect(document.getElementById('doc-recall')).not.toBeNull()
  })

  it('shows why a recall was refused inline and keeps the document as it was', async () => {
    commands({
      document_show: () => doc(),
      document_history: () => [],
      document_recall: () => {
        throw wireError(
          'conflict',
          'PO-000009 cannot be recalled: John Mwangi already decided level 1 at 2026-03-01T09:00:00Z. Ask them to return it, or cancel it.',
        )
      },
    })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1' })
    await fireEvent.click(await found('#doc-recall'))
    await fireEvent.click(await found('#doc-action-confirm'))
    const alert = await found('#document-action-error')
    expect(alert.getAttribute('role')).toBe('alert')
    expect(alert.textContent).toContain('already decided level 1')
    expect(document.getElementById('document-status')!.textContent).toBe('Pending approval')
  })

  it('cancels after a confirmation; Escape backs out without calling the app', async () => {
    commands({
      document_show: () => doc({ status: 'returned' }),
      document_history: () => [],
      document_cancel: () => doc({ status: 'cancelled' }),
    })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1' })
    await fireEvent.click(await found('#doc-cancel'))
    await fireEvent.keyDown(await found('#doc-action-confirm'), { key: 'Escape' })
    expect(document.getElementById('doc-action-confirm')).toBeNull()
    expect(callsOf('document_cancel')).toHaveLength(0)
    await fireEvent.click(document.getElementById('doc-cancel')!)
    await fireEvent.click(await found('#doc-action-confirm'))
    await waitFor(() => expect(callsOf('document_cancel')).toEqual([{ id: 'doc-1' }]))
    await waitFor(() => expect(document.getElementById('document-status')!.textContent).toBe('Cancelled'))
    expect(document.getElementById('doc-cancel')).toBeNull()
  })

  it('the requester edits a returned document with the new-request fields; the timeline says what changed', async () => {
    let current = doc({ status: 'returned', amount: '60000', category: 'Supplies' })
    let history: HistoryEntry[] = [returned]
    const changed: DocumentView[] = []
    commands({
      document_show: () => current,
      document_history: () => history,
      document_edit: ({ change }) => {
        const c = change as { amount: string }
        current = doc({ status: 'returned', amount: c.amount, category: null, updated_at: '2026-03-02T09:00:00Z' })
        history = [returned, edited]
        return current
      },
    })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1', onchanged: (d: DocumentView) => changed.push(d) })
    await fireEvent.click(await found('#doc-edit'))
    const form = await found('#edit-request-form')
    expect(form.textContent).toContain('Edit PO-000009')
    expect((document.getElementById('request-title') as HTMLInputElement).value).toBe('Printer toner')
    expect((document.getElementById('request-amount') as HTMLInputElement).value).toBe('60000')
    expect((document.getElementById('request-department') as HTMLSelectElement).value).toBe('Operations')
    // The type of a document cannot change.
    expect((document.getElementById('request-type') as HTMLSelectElement).disabled).toBe(true)
    await fireEvent.input(document.getElementById('request-amount')!, { target: { value: '20,000' } })
    await fireEvent.input(document.getElementById('request-category')!, { target: { value: '' } })
    await fireEvent.click(document.getElementById('request-submit')!)
    await waitFor(() =>
      expect(callsOf('document_edit')).toEqual([
        {
          id: 'doc-1',
          change: {
            title: 'Printer toner',
            amount: '20000',
            department: null,
            category: '',
            project: null,
            facts: null,
            lines: null,
          },
        },
      ]),
    )
    expect((await found('#document-action-notice')).textContent).toContain('PO-000009 saved. Resubmit it')
    expect(document.getElementById('edit-request-form')).toBeNull()
    expect(document.getElementById('document-detail')!.textContent).toContain('KES 20,000.00')
    await waitFor(() =>
      expect(document.getElementById('document-timeline')!.textContent).toContain('amount KES 60,000.00 → KES 20,000.00'),
    )
    expect(changed.map((d) => d.amount)).toEqual(['20000'])
    // Still returned: resubmit and edit stay on offer.
    expect(document.getElementById('doc-resubmit')).not.toBeNull()
    expect(document.getElementById('doc-edit')).not.toBeNull()
  })

  it('shows the core refusal of an edit in its form and keeps the document as it was', async () => {
    commands({
      document_show: () => doc({ status: 'clarification_requested' }),
      document_history: () => [returned],
      document_edit: () => {
        throw wireError(
          'permission_denied',
          'Permission denied: storekeeper@demo.test (employee) may raise documents only for their own department or those they head.',
        )
      },
    })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1', departments: [{ id: 'd2', name: 'Finance', active: true, created_at: '2026-01-01T00:00:00Z' }] })
    await fireEvent.click(await found('#doc-edit'))
    await fireEvent.change(await found('#request-department'), { target: { value: 'Finance' } })
    await fireEvent.click(document.getElementById('request-submit')!)
    const alert = await found('#edit-request-form [role="alert"]')
    expect(alert.textContent).toContain('only for their own department')
    expect(callsOf('document_edit')[0].change).toMatchObject({ department: 'Finance' })
    expect(document.getElementById('document-status')!.textContent).toBe('Clarification requested')
  })

  it('offers no edit while the document is with its approvers, or once it is rejected', async () => {
    for (const status of ['pending_approval', 'rejected', 'approved'] as const) {
      commands({ document_show: () => doc({ status }), document_history: () => [] })
      app.session = CLERK
      const { unmount } = render(DocumentDetail, { id: 'doc-1' })
      await found('#document-title')
      expect(document.getElementById('doc-edit'), status).toBeNull()
      unmount()
    }
  })

  it('submits a draft after a confirmation', async () => {
    let current = doc({ status: 'draft' })
    commands({
      document_show: () => current,
      document_history: () => [],
      document_submit: () => (current = doc({ status: 'pending_approval' })),
    })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1' })
    expect(await found('#doc-edit')).not.toBeNull()
    await fireEvent.click(await found('#doc-submit'))
    await fireEvent.click(await found('#doc-action-confirm'))
    await waitFor(() => expect(callsOf('document_submit')).toEqual([{ id: 'doc-1' }]))
    expect((await found('#document-action-notice')).textContent).toContain('PO-000009 submitted for approval')
  })

  it('the timeline says what happened in words, with the level by its name', async () => {
    const approved: HistoryEntry = {
      ...returned,
      action: 'approve',
      action_label: 'approved',
      comment: null,
      text: 'John Mwangi: approved (level 1, Reporting manager)',
    }
    commands({ document_show: () => doc(), document_history: () => [approved] })
    app.session = CLERK
    render(DocumentDetail, { id: 'doc-1' })
    const entry = await found('#document-timeline .timeline-entry')
    expect(entry.textContent).toContain('approved')
    expect(entry.textContent).toContain('level 1, Reporting manager')
    expect(entry.textContent).not.toContain('approve (')
  })

  it('offers nothing to someone who is not the requester', async () => {
    commands({ document_show: () => doc({ status: 'returned' }), document_history: () => [] })
    app.session = MANAGER
    render(DocumentDetail, { id: 'doc-1' })
    await found('#document-title')
    expect(document.getElementById('document-actions')).toBeNull()
  })
})

const inboxItem: InboxItem = {
  request_id: 'req-1',
  step_id: 'step-1',
  document_id: 'doc-1',
  document_number: 'PO-000009',
  doc_type: 'purchase_order',
  title: 'Printer toner',
  requester_name: 'Kevin Otieno',
  amount: '12500.00',
  currency: 'KES',
  level: 1,
  level_name: 'Reporting manager',
  due_at: null,
  overdue: false,
  marker: null,
  on_behalf_of: null,
  why: 'You are the reporting manager of Kevin Otieno.',
  version: 7,
}

function user(email: string, name: string): UserView {
  return {
    id: `u-${email}`,
    email,
    name,
    role: 'approver',
    manager_email: null,
    manager_name: null,
    department: null,
    active: true,
    created_at: '2026-01-05T08:00:00Z',
  }
}

const handed: ActionResult = {
  request_id: 'req-1',
  step_id: 'step-1',
  document_id: 'doc-1',
  decision: 'delegate',
  document_status: 'pending_approval',
  request_status: 'pending',
  pending_level: 1,
}

describe('Decision bar: return, clarify, hand over', () => {
  function inbox(act: (args: Record<string, unknown>) => unknown) {
    commands({
      approvals_inbox: () => [inboxItem],
      documents_mine: () => [],
      users_list: () => [user('ops.manager@demo.test', 'John Mwangi'), user('jane@demo.test', 'Jane Achieng')],
      document_show: () => doc(),
      document_history: () => [],
      approval_act: act,
    })
    app.session = MANAGER
    render(ApprovalsPage)
  }

  it('hands the step to a named user, chosen from the active users', async () => {
    inbox(() => handed)
    await fireEvent.click(await found('#delegate'))
    const to = await found<HTMLSelectElement>('#delegate-to')
    const options = [...to.options].map((o) => o.value)
    expect(options).toEqual(['', 'jane@demo.test'])
    // Nobody chosen: says so without calling the app.
    await fireEvent.click(document.getElementById('decision-confirm')!)
    expect((await found('#decision-error')).textContent).toContain('Choose who should decide')
    expect(callsOf('approval_act')).toHaveLength(0)
    await fireEvent.change(to, { target: { value: 'jane@demo.test' } })
    await fireEvent.click(document.getElementById('decision-confirm')!)
    await waitFor(() =>
      expect(callsOf('approval_act')).toEqual([
        { request: 'req-1', action: { decision: 'delegate', comment: null, delegate_to: 'jane@demo.test', expected_version: 7 } },
      ]),
    )
    expect((await found('#approvals-notice')).textContent).toContain('PO-000009 handed to jane@demo.test')
  })

  it('shows the core refusal of a hand-over inline in the decision bar', async () => {
    inbox(() => {
      throw wireError('invalid_input', 'Jane Achieng is already in this approval chain: choose someone else.')
    })
    await fireEvent.click(await found('#delegate'))
    await fireEvent.change(await found('#delegate-to'), { target: { value: 'jane@demo.test' } })
    await fireEvent.click(document.getElementById('decision-confirm')!)
    const alert = await found('#decision-error')
    expect(alert.textContent).toContain('already in this approval chain')
    expect(document.getElementById('approvals-error')).toBeNull()
  })

  it('a clarification needs the question; return sends the comment', async () => {
    inbox(({ action }) => ({ ...handed, decision: (action as { decision: ActionResult['decision'] }).decision }))
    await fireEvent.click(await found('#clarify'))
    await fireEvent.click(await found('#decision-confirm'))
    expect((await found('#decision-error')).textContent).toContain('Write the question')
    expect(callsOf('approval_act')).toHaveLength(0)
    await fireEvent.input(document.getElementById('decision-comment')!, { target: { value: 'Which supplier?' } })
    await fireEvent.click(document.getElementById('decision-confirm')!)
    await waitFor(() => expect(callsOf('approval_act')).toHaveLength(1))
    expect(callsOf('approval_act')[0].action).toEqual({
      decision: 'clarify',
      comment: 'Which supplier?',
      delegate_to: null,
      expected_version: 7,
    })

    await fireEvent.click(await found('#return'))
    await fireEvent.input(await found('#decision-comment'), { target: { value: 'Attach three quotes' } })
    await fireEvent.click(document.getElementById('decision-confirm')!)
    await waitFor(() => expect(callsOf('approval_act')).toHaveLength(2))
    expect(callsOf('approval_act')[1].action).toMatchObject({ decision: 'return', comment: 'Attach three quotes' })
  })
})
