import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import type { TaxReviewView } from '../bindings'
import { app } from '../session.svelte'
import { ADMIN, AUDITOR, callsOf, commands } from '../../test/tauri'
import TaxReviewsPanel from './TaxReviewsPanel.svelte'

const REVIEW: TaxReviewView = {
  document_id: 'doc-1',
  number: 'SI-000002',
  title: 'Export of services',
  reason: 'a line has no tax code',
  raised_by: 'Mercy Achieng',
  department: 'Sales',
  amount: '3000.00',
  currency: 'KES',
  created_at: '2026-12-02T05:30:00Z',
}

describe('TaxReviewsPanel', () => {
  it("shows the rule's reason and resolves with a note, asking for one first", async () => {
    let open = [REVIEW]
    commands({
      tax_reviews_list: () => open,
      tax_review_resolve: () => {
        open = []
        return { document_id: 'doc-1', number: 'SI-000002', note: 'ok', executions: [{ id: 'e1' }] }
      },
    })
    app.session = ADMIN
    render(TaxReviewsPanel)
    const row = await waitFor(() => {
      const el = document.querySelector('tr[data-review="SI-000002"]')
      expect(el).not.toBeNull()
      return el!
    })
    expect(row.textContent).toContain('a line has no tax code')
    expect(row.textContent).toContain('Mercy Achieng')
    await fireEvent.click(document.querySelector('button[data-resolve="SI-000002"]')!)
    await fireEvent.submit(document.getElementById('tax-review-form')!)
    expect(document.getElementById('tax-review-error')!.textContent).toContain('Say how the review was settled')
    expect(callsOf('tax_review_resolve')).toHaveLength(0)
    await fireEvent.input(document.getElementById('tax-review-note')!, { target: { value: 'tax code A confirmed with KRA' } })
    await fireEvent.submit(document.getElementById('tax-review-form')!)
    await waitFor(() => expect(document.getElementById('tax-review-notice')!.textContent).toContain('SI-000002 resolved; 1 held e-TIMS submission queued again'))
    expect(callsOf('tax_review_resolve')).toEqual([{ document: 'doc-1', note: 'tax code A confirmed with KRA' }])
    await waitFor(() => expect(document.getElementById('tax-reviews-empty')?.textContent).toContain('No document is waiting'))
  })

  it('lets the auditor read the reviews but not resolve them', async () => {
    commands({ tax_reviews_list: () => [REVIEW] })
    app.session = AUDITOR
    render(TaxReviewsPanel)
    await waitFor(() => expect(document.querySelector('tr[data-review="SI-000002"]')).not.toBeNull())
    expect(document.querySelector('button[data-resolve]')).toBeNull()
  })
})
