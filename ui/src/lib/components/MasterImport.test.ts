import { fireEvent, render, waitFor } from '@testing-library/svelte'
import { open } from '@tauri-apps/plugin-dialog'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { found } from '../../test/dom'
import MasterImport from './MasterImport.svelte'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

function props(run = vi.fn(async () => ({ added: 2, warnings: [] }))) {
  return { id: 'customers-import', what: 'customers', columns: 'name, kra_pin', run, onimported: vi.fn(), onclose: vi.fn() }
}

describe('MasterImport', () => {
  beforeEach(() => vi.mocked(open).mockReset())

  it('fills the path from the system file dialog, then imports that file', async () => {
    vi.mocked(open).mockResolvedValueOnce('/home/grace/Documents/customers.xlsx')
    const p = props()
    render(MasterImport, p)
    await fireEvent.click(document.getElementById('customers-import-choose')!)
    const path = document.getElementById('customers-import-path') as HTMLInputElement
    await waitFor(() => expect(path.value).toBe('/home/grace/Documents/customers.xlsx'))
    expect(vi.mocked(open).mock.calls[0][0]).toMatchObject({ multiple: false, title: 'Import customers' })
    await fireEvent.click(document.getElementById('customers-import-submit')!)
    await waitFor(() => expect(p.run).toHaveBeenCalledWith('/home/grace/Documents/customers.xlsx'))
    expect((await found('#customers-import-result')).textContent).toContain('2 customers added')
  })

  it('keeps the typed path when the dialog is cancelled or cannot open', async () => {
    vi.mocked(open).mockResolvedValueOnce(null).mockRejectedValueOnce(new Error('not allowed'))
    render(MasterImport, props())
    const path = document.getElementById('customers-import-path') as HTMLInputElement
    await fireEvent.input(path, { target: { value: '/tmp/typed.csv' } })
    await fireEvent.click(document.getElementById('customers-import-choose')!)
    await waitFor(() => expect(open).toHaveBeenCalledTimes(1))
    expect(path.value).toBe('/tmp/typed.csv')
    await fireEvent.click(document.getElementById('customers-import-choose')!)
    expect((await found('#customers-import-error')).textContent).toContain("Type the file's full path instead")
    expect(path.value).toBe('/tmp/typed.csv')
  })
})
