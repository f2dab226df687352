import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { save } from '@tauri-apps/plugin-dialog'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ExportRequest } from '../bindings'
import { app } from '../session.svelte'
import { found } from '../../test/dom'
import { AUDITOR, callsOf, commands, wireError } from '../../test/tauri'
import ExportButton from './ExportButton.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

const REQUEST: ExportRequest = {
  list: 'documents',
  query: { kind: 'purchase_order', stage: null, department: null, search: null, from: null, to: null, limit: 100, offset: 0 },
}

describe('ExportButton', () => {
  beforeEach(() => vi.mocked(save).mockReset())

  it('asks where to save, writes every row there and says how many went where', async () => {
    vi.mocked(save).mockResolvedValueOnce('/home/peter/Documents.xlsx')
    commands({ export_list: () => ({ path: '/home/peter/Documents.xlsx', format: 'xlsx', rows: 1240, bytes: 90_000 }) })
    app.session = AUDITOR
    render(ExportButton, { id: 'x', title: 'Documents', request: () => REQUEST })
    await fireEvent.click(document.getElementById('x-xlsx')!)
    await waitFor(() => expect(callsOf('export_list')).toHaveLength(1))
    expect(vi.mocked(save).mock.calls[0][0]).toEqual({
      defaultPath: 'Documents.xlsx',
      filters: [{ name: 'Excel workbook (.xlsx)', extensions: ['xlsx'] }],
      title: 'Export Documents',
    })
    expect(callsOf('export_list')[0]).toEqual({ request: REQUEST, format: 'xlsx', path: '/home/peter/Documents.xlsx' })
    expect((await found('#x-result')).textContent).toBe('Exported 1,240 rows to /home/peter/Documents.xlsx.')
  })

  it('does nothing when the save dialog is cancelled', async () => {
    vi.mocked(save).mockResolvedValueOnce(null)
    commands({})
    render(ExportButton, { id: 'x', title: 'Sales', request: () => REQUEST })
    await fireEvent.click(document.getElementById('x-csv')!)
    await waitFor(() => expect(save).toHaveBeenCalled())
    expect(vi.mocked(save).mock.calls[0][0]).toMatchObject({ defaultPath: 'Sales.csv' })
    expect(callsOf('export_list')).toHaveLength(0)
    expect(document.getElementById('x-result')).toBeNull()
    expect(document.getElementById('x-error')).toBeNull()
  })

  it("shows the core's refusal in its words", async () => {
    vi.mocked(save).mockResolvedValueOnce('/home/peter/x.csv')
    commands({
      export_list: () => {
        throw wireError('invalid_input', 'Could not write /home/peter/x.csv: Permission denied. Choose a folder you may write to.')
      },
    })
    render(ExportButton, { id: 'x', title: 'Sales', request: () => REQUEST })
    await fireEvent.click(document.getElementById('x-csv')!)
    expect((await found('#x-error')).textContent).toContain('Choose a folder you may write to')
    expect((document.getElementById('x-csv') as HTMLButtonElement).disabled).toBe(false)
  })
})
