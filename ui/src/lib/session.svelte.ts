// App-level state: which screen is showing, the open company, the signed-in session and the
// current page of the shell. One instance, `app`, shared by every screen.
import { ApiError } from './api'
import type { OpenedCompany, Permission, SessionInfo, StartInfo } from './bindings'
import { setTimeZone } from './dates'
import { can } from './labels'

export type Screen = 'loading' | 'start' | 'login' | 'shell'

export type Page =
  | 'dashboard'
  | 'approvals'
  | 'documents'
  | 'audit'
  | 'budgets'
  | 'sync'
  | 'monitoring'
  | 'workflows'
  | 'sales'
  | 'customers'
  | 'items'
  | 'receipts'
  | 'etims'
  | 'settings-users'
  | 'settings-company'
  | 'settings-quickbooks'

export interface PageMeta {
  id: Page
  label: string
  /** The second key of the `g …` shortcut. */
  key: string
  group: 'main' | 'sales' | 'settings'
  /**
   * Shown only to roles holding at least one of these permissions (the core refuses the rest
   * anyway: this only keeps pages a role cannot use out of its way).
   */
  anyOf?: Permission[]
}

export const PAGES: PageMeta[] = [
  { id: 'dashboard', label: 'Dashboard', key: 'd', group: 'main' },
  { id: 'approvals', label: 'Approvals', key: 'a', group: 'main', anyOf: ['document_create', 'approval_act'] },
  { id: 'documents', label: 'Documents', key: 'o', group: 'main', anyOf: ['document_view_all'] },
  { id: 'budgets', label: 'Budgets', key: 'b', group: 'main', anyOf: ['budget_view'] },
  { id: 'sync', label: 'Sync', key: 's', group: 'main', anyOf: ['sync_view'] },
  { id: 'monitoring', label: 'Monitoring', key: 'm', group: 'main', anyOf: ['monitor_view'] },
  { id: 'workflows', label: 'Workflows', key: 'w', group: 'main', anyOf: ['workflow_view'] },
  { id: 'sales', label: 'Sales', key: 'i', group: 'sales', anyOf: ['sales_view'] },
  { id: 'customers', label: 'Customers', key: 'e', group: 'sales', anyOf: ['sales_view'] },
  { id: 'items', label: 'Items', key: 't', group: 'sales', anyOf: ['sales_view'] },
  { id: 'receipts', label: 'Receipts', key: 'r', group: 'sales', anyOf: ['sales_view'] },
  { id: 'etims', label: 'KRA e-TIMS', key: 'k', group: 'sales', anyOf: ['sync_view', 'company_edit'] },
  { id: 'audit', label: 'Audit log', key: 'l', group: 'settings', anyOf: ['audit_view'] },
  { id: 'settings-users', label: 'Users', key: 'u', group: 'settings', anyOf: ['user_view'] },
  { id: 'settings-company', label: 'Company', key: 'c', group: 'settings', anyOf: ['company_view'] },
  { id: 'settings-quickbooks', label: 'QuickBooks', key: 'q', group: 'settings', anyOf: ['sync_view'] },
]

/** Whether the signed-in role may open the page (pages without a permission are for everyone). */
export function pageAllowed(page: PageMeta, permissions: readonly Permission[] | undefined): boolean {
  return page.anyOf === undefined || page.anyOf.some((p) => can(permissions, p))
}

/** The pages the signed-in role may open, in menu order. */
export function allowedPages(permissions: readonly Permission[] | undefined): PageMeta[] {
  return PAGES.filter((p) => pageAllowed(p, permissions))
}

export function pageFromHash(hash: string): Page {
  const id = hash.replace(/^#\/?/, '')
  return PAGES.find((p) => p.id === id)?.id ?? 'dashboard'
}

class AppState {
  screen = $state<Screen>('loading')
  start = $state<StartInfo | null>(null)
  company = $state<OpenedCompany | null>(null)
  session = $state<SessionInfo | null>(null)
  page = $state<Page>('dashboard')
  /** Email to prefill on the login screen (after creating a company). */
  loginEmail = $state('')
  /** A one-off message for the next screen (e.g. "your session ended"). */
  notice = $state<string | null>(null)

  can(permission: Permission): boolean {
    return can(this.session?.permissions, permission)
  }

  showStart(info: StartInfo | null) {
    this.start = info
    this.company = null
    this.session = null
    this.screen = 'start'
  }

  companyOpened(company: OpenedCompany, email = '') {
    this.company = company
    setTimeZone(company.time_zone)
    this.session = null
    this.loginEmail = email
    this.screen = 'login'
  }

  signedIn(session: SessionInfo, page: Page = 'dashboard') {
    this.session = session
    this.notice = null
    this.loginEmail = ''
    this.screen = 'shell'
    navigate(page)
  }

  signedOut(notice: string | null = null) {
    this.session = null
    this.notice = notice
    this.screen = 'login'
  }

  /** The message to show for a failed call; drops back to the login screen if the session is gone. */
  report(reason: unknown): string {
    const message = reason instanceof Error ? reason.message : String(reason)
    if (reason instanceof ApiError && reason.kind === 'auth_failed' && this.screen === 'shell') {
      this.signedOut(message)
    }
    return message
  }

  reset() {
    this.screen = 'loading'
    this.start = null
    this.company = null
    this.session = null
    this.page = 'dashboard'
    this.loginEmail = ''
    this.notice = null
  }
}

export const app = new AppState()

/**
 * Shows a page of the shell and records it in the URL hash (so a reload keeps it). A page the
 * role may not open (an old bookmark, a hash typed by hand) shows the dashboard instead.
 */
export function navigate(page: Page) {
  const meta = PAGES.find((p) => p.id === page)
  if (app.session && meta && !pageAllowed(meta, app.session.permissions)) page = 'dashboard'
  app.page = page
  if (typeof location !== 'undefined' && location.hash !== `#${page}`) {
    history.replaceState(null, '', `#${page}`)
  }
}
