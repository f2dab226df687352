// Files through the operating system's own dialogs (Tauri's dialog plugin; on Linux GTK's file
// chooser): which file to import, where an export goes. The dialogs only return the path the
// user picked; Hesabu's own commands read or write it (src-tauri/capabilities/default.json grants
// the dialogs, nothing of the file system). Import forms keep their typed path field beside the
// "Choose file…" button: a person can paste a path, and the end-to-end test types one because
// WebDriver cannot drive a native dialog.
import { open, save } from '@tauri-apps/plugin-dialog'
import type { ExportFormat } from './bindings'

/** A filter of the dialog: a name the user sees and the extensions it shows (no dot). */
export type FileFilter = { name: string; extensions: string[] }

/** What Hesabu imports: CSV and Excel workbooks. */
export const SPREADSHEET_FILES: FileFilter[] = [
  { name: 'Spreadsheets (.csv, .xlsx)', extensions: ['csv', 'xlsx'] },
  { name: 'All files', extensions: ['*'] },
]

/** The save dialog's filter for an export format. */
export function exportFilters(format: ExportFormat): FileFilter[] {
  return format === 'xlsx'
    ? [{ name: 'Excel workbook (.xlsx)', extensions: ['xlsx'] }]
    : [{ name: 'CSV file (.csv)', extensions: ['csv'] }]
}

/** A dialog that failed to open, in words: what to do instead. */
export class DialogError extends Error {
  constructor(what: string, reason: unknown) {
    const detail = reason instanceof Error ? reason.message : String(reason)
    super(`The ${what} dialog did not open (${detail}). ${what === 'open' ? "Type the file's full path instead." : 'Try again.'}`)
    this.name = 'DialogError'
  }
}

/** The file the user picked in the open dialog, or null when they cancelled. */
export async function chooseFileToOpen(filters: FileFilter[] = SPREADSHEET_FILES, title?: string): Promise<string | null> {
  let chosen: unknown
  try {
    chosen = await open({ multiple: false, directory: false, filters, title })
  } catch (e) {
    throw new DialogError('open', e)
  }
  return typeof chosen === 'string' && chosen !== '' ? chosen : null
}

/**
 * Where the user chose to save, or null when they cancelled. `defaultName` is offered in the
 * dialog's name field (e.g. "Budgets FY2026.xlsx").
 */
export async function chooseFileToSave(defaultName: string, filters: FileFilter[], title?: string): Promise<string | null> {
  let chosen: string | null
  try {
    chosen = await save({ defaultPath: defaultName, filters, title })
  } catch (e) {
    throw new DialogError('save', e)
  }
  return typeof chosen === 'string' && chosen !== '' ? chosen : null
}

/** A file name for an export: the list's name, no characters a file system refuses, the extension. */
export function exportFileName(title: string, format: ExportFormat): string {
  const clean = title.replace(/[\\/:*?"<>|]+/g, ' ').replace(/\s+/g, ' ').trim() || 'Export'
  return `${clean}.${format}`
}

/** The last part of a path, for messages ("budgets.xlsx"). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/)
  return parts[parts.length - 1] || path
}
