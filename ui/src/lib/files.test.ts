import { open, save } from '@tauri-apps/plugin-dialog'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { DialogError, SPREADSHEET_FILES, baseName, chooseFileToOpen, chooseFileToSave, exportFileName, exportFilters } from './files'

vi.mock('@tauri-apps/plugin-dialog', () => ({ open: vi.fn(), save: vi.fn() }))

describe('the OS file dialogs', () => {
  beforeEach(() => {
    vi.mocked(open).mockReset()
    vi.mocked(save).mockReset()
  })

  it('asks for one spreadsheet file and gives back its path', async () => {
    vi.mocked(open).mockResolvedValue('/home/grace/Documents/budgets.xlsx')
    expect(await chooseFileToOpen()).toBe('/home/grace/Documents/budgets.xlsx')
    expect(open).toHaveBeenCalledWith({ multiple: false, directory: false, filters: SPREADSHEET_FILES, title: undefined })
  })

  it('gives back null when the user cancels either dialog', async () => {
    vi.mocked(open).mockResolvedValue(null)
    vi.mocked(save).mockResolvedValue(null)
    expect(await chooseFileToOpen()).toBeNull()
    expect(await chooseFileToSave('Sales.csv', exportFilters('csv'))).toBeNull()
  })

  it('offers the export name and one format in the save dialog', async () => {
    vi.mocked(save).mockResolvedValue('/home/grace/Sales.xlsx')
    expect(await chooseFileToSave('Sales.xlsx', exportFilters('xlsx'), 'Export sales')).toBe('/home/grace/Sales.xlsx')
    expect(save).toHaveBeenCalledWith({
      defaultPath: 'Sales.xlsx',
      filters: [{ name: 'Excel workbook (.xlsx)', extensions: ['xlsx'] }],
      title: 'Export sales',
    })
  })

  it('says what to do when a dialog cannot open', async () => {
    vi.mocked(open).mockRejectedValue(new Error('dialog.open not allowed'))
    const error = await chooseFileToOpen().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DialogError)
    expect((error as Error).message).toBe("The open dialog did not open (dialog.open not allowed). Type the file's full path instead.")
  })

  it('names export files without characters a file system refuses', () => {
    expect(exportFileName('Budgets FY2026', 'xlsx')).toBe('Budgets FY2026.xlsx')
    expect(exportFileName('Ledger: Operations / 2026-Q1', 'csv')).toBe('Ledger Operations 2026-Q1.csv')
    expect(exportFileName(' ?? ', 'csv')).toBe('Export.csv')
    expect(baseName('/home/grace/Sales.xlsx')).toBe('Sales.xlsx')
    expect(baseName('C:\\Users\\grace\\Sales.csv')).toBe('Sales.csv')
  })
})
