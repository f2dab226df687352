// App-level state: which screen is showing, the open company, the signed-in session and the
// current page of the shell. One instance, `app`, shared by every screen.
import { ApiError } from './api'
import type { OpenedCompany, Permission, SessionInfo, StartInfo } from './bindings'
import { can } from './labels'

export type Screen = 'loading' | 'start' | 'login' | 'shell'

export type Page =
  | 'dashboard'
  | 'approvals'
  | 'budgets'
  | 'sync'
  | 'monitoring'
  | 'receipts'
  | 'workflows'
  | 'sales'
  | 'customers'
  | 'items'
  | 'settings-users'
  | 'settings-company'

export interface PageMeta {
  id: Page
  label: string
  /** The second key of the `g …` shortcut. */
  key: string
  group: 'main' | 'sales' | 'settings'
  /** Shown only to roles with this permission (the core refuses the rest anyway). */
  permission?: Permission
}

export const PAGES: PageMeta[] = [
  { id: 'dashboard', label: 'Dashboard', key: 'd', group: 'main' },
  { id: 'approvals', label: 'Approvals', key: 'a', group: 'main' },
  { id: 'budgets', label: 'Budgets', key: 'b', group: 'main' },
  { id: 'sync', label: 'Sync', key: 's', group: 'main' },
  { id: 'monitoring', label: 'Monitoring', key: 'm', group: 'main' },
  { id: 'receipts', label: 'Receipts', key: 'r', group: 'main' },
  { id: 'workflows', label: 'Workflows', key: 'w', group: 'main' },
  { id: 'sales', label: 'Sales', key: 'i', group: 'sales', permission: 'sales_view' },
  { id: 'customers', label: 'Customers', key: 'e', group: 'sales', permission: 'sales_view' },
  { id: 'items', label: 'Items', key: 't', group: 'sales', permission: 'sales_view' },
  { id: 'settings-users', label: 'Users', key: 'u', group: 'settings' },
  { id: 'settings-company', label: 'Company', key: 'c', group: 'settings' },
]

/** Whether the signed-in role may open the page (pages without a permission are for everyone). */
export function pageAllowed(page: PageMeta, permissions: readonly Permission[] | undefined): boolean {
  return page.permission === undefined || can(permissions, page.permission)
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

/** Shows a page of the shell and records it in the URL hash (so a reload keeps it). */
export function navigate(page: Page) {
  app.page = page
  if (typeof location !== 'undefined' && location.hash !== `#${page}`) {
    history.replaceState(null, '', `#${page}`)
  }
}
