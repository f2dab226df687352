// One typed function per Tauri command (see docs/desktop-contract.md). Every command returns
// `Result<T, WireError>` on the Rust side; a rejection is turned into an `ApiError` here so that
// screens can branch on `kind` and show `message` without guessing what they were given.
import { invoke } from '@tauri-apps/api/core'
import { listen } from '@tauri-apps/api/event'
import type {
  ActionInput,
  AuditQuery,
  BudgetCheckInput,
  BudgetCheckQuery,
  CommandName,
  Commands,
  ComponentEntry,
  CompanySettingsUpdate,
  ConnectionSettings,
  CustomerQuery,
  DeviceSetupInput,
  ErrorKind,
  ImportProgress,
  InsurerEdit,
  InsurerInput,
  ExecutionFilter,
  ExportFormat,
  ExportRequest,
  ItemQuery,
  JsonValue,
  NewCompany,
  NewCustomer,
  NewDelegation,
  NewDocument,
  DocumentEdit,
  NewItem,
  NewSale,
  NewSaleLine,
  NewUser,
  PaperFormat,
  PolicySpec,
  PriceBasis,
  PrintRequest,
  PullProgress,
  ReceiptQuery,
  ReceiptSettings,
  RegisterQuery,
  ReleaseAction,
  ReleaseCommitmentInput,
  SalesQuery,
  SalesSettings,
  WireError,
  WorkWeekUpdate,
  WorkflowType,
} from './bindings'

const ERROR_KINDS: readonly ErrorKind[] = [
  'invalid_input',
  'permission_denied',
  'auth_failed',
  'not_found',
  'conflict',
  'audit_broken',
  'unavailable',
  'storage',
  'internal',
]

/** A failed command, carrying the core's `WireError`. */
export class ApiError extends Error {
  readonly kind: ErrorKind
  readonly wire: WireError
  readonly command: string

  constructor(wire: WireError, command: string) {
    super(wire.message)
    this.name = 'ApiError'
    this.kind = wire.kind
    this.wire = wire
    this.command = command
  }
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.message === 'string' &&
    typeof v.kind === 'string' &&
    (ERROR_KINDS as readonly string[]).includes(v.kind)
  )
}

/** Whatever `invoke` rejected with, as an `ApiError`. */
export function toApiError(reason: unknown, command: string): ApiError {
  if (reason instanceof ApiError) return reason
  if (isWireError(reason)) return new ApiError({ kind: reason.kind, message: reason.message }, command)
  // Tauri itself rejects with a plain string when a command is unknown or its arguments do not
  // deserialize; a JS error can come from the IPC layer (e.g. outside the app window).
  let message: string
  if (!insideTauri()) {
    message =
      'This page is not connected to the Hesabu app (it seems to be open in a plain browser). ' +
      'Start Hesabu itself to work with company files.'
  } else if (typeof reason === 'string' && reason.trim() !== '') message = reason
  else if (reason instanceof Error && reason.message) message = reason.message
  else message = `The app did not answer the request (${command}). Please try again.`
  return new ApiError({ kind: 'internal', message }, command)
}

/** False in a plain browser (e.g. `npm run dev` opened outside the Tauri window). */
function insideTauri(): boolean {
  return typeof window === 'undefined' || '__TAURI_INTERNALS__' in window
}

/** The message to show for any thrown value. */
export function errorMessage(reason: unknown): string {
  return toApiError(reason, 'unknown').message
}

type ArgsOf<K extends CommandName> = Commands[K]['args']
type ReturnOf<K extends CommandName> = Commands[K]['returns']

/**
 * Invokes a command. The generated `Commands` map types the argument object and the result, so
 * a command renamed or changed in src-tauri fails `npm run check` here.
 */
async function call<K extends CommandName>(
  command: K,
  ...args: ArgsOf<K> extends Record<string, never> ? [] : [ArgsOf<K>]
): Promise<ReturnOf<K>> {
  try {
    return await invoke<ReturnOf<K>>(command, args[0])
  } catch (reason) {
    throw toApiError(reason, command)
  }
}

export const startInfo = () => call('start_info')
export const companyOpen = (path: string) => call('company_open', { path })
export const companyCreate = (path: string, company: NewCompany) =>
  call('company_create', { path, company })
export const demoOpen = () => call('demo_open')
export const companyClose = () => call('company_close')

export const login = (email: string, password: string) =>
  call('login', { email, password })
export const logout = () => call('logout')
export const sessionCurrent = () => call('session_current')

export const companyInfo = () => call('company_info')
export const companyUpdate = (change: CompanySettingsUpdate) =>
  call('company_update', { change })

export const usersList = () => call('users_list')
export const userAdd = (user: NewUser) => call('user_add', { user })
export const userDeactivate = (email: string) => call('user_deactivate', { email })

export const departmentsList = () => call('departments_list')
export const departmentAdd = (name: string) => call('department_add', { name })

export const auditList = (limit: number) => call('audit_list', { limit })
export const auditVerify = () => call('audit_verify')
export const auditSearch = (query: AuditQuery) => call('audit_search', { query })
export const taxReviewsList = () => call('tax_reviews_list')
export const taxReviewResolve = (document: string, note: string) =>
  call('tax_review_resolve', { document, note })

export const approvalsInbox = () => call('approvals_inbox')
export const documentCreate = (document: NewDocument) => call('document_create', { document })
export const documentSubmit = (id: string) => call('document_submit', { id })
/** Creates and submits in one step; a refused submission saves nothing (no stray draft). */
export const documentCreateAndSubmit = (document: NewDocument) =>
  call('document_create_and_submit', { document })
/** Corrects a draft, or a document returned or sent back for clarification (requester only). */
export const documentEdit = (id: string, change: DocumentEdit) => call('document_edit', { id, change })
export const documentsMine = () => call('documents_mine')
export const documentsRegister = (query: RegisterQuery) => call('documents_register', { query })
export const documentShow = (id: string) => call('document_show', { id })
export const documentHistory = (id: string) => call('document_history', { id })
export const approvalAct = (request: string, action: ActionInput) =>
  call('approval_act', { request, action })
export const approvalsBulkApprove = (requests: string[]) =>
  call('approvals_bulk_approve', { requests })
export const documentResubmit = (id: string, note: string | null) =>
  call('document_resubmit', { id, note })
export const documentRecall = (id: string) => call('document_recall', { id })
export const documentCancel = (id: string) => call('document_cancel', { id })
export const approvalsSla = (days: number) => call('approvals_sla', { days })
export const workWeekGet = () => call('work_week_get')
export const workWeekSet = (change: WorkWeekUpdate) => call('work_week_set', { change })

export const policiesList = () => call('policies_list')
export const policyParse = (text: string) => call('policy_parse', { text })
export const policyValidate = (policy: PolicySpec) => call('policy_validate', { policy })
export const policySave = (policy: PolicySpec) => call('policy_save', { policy })

export const budgetsList = (period: string | null) => call('budgets_list', { period })
export const budgetReport = (period: string | null) => call('budget_report', { period })
export const budgetHistory = (id: string) => call('budget_history', { id })
export const budgetCheck = (check: BudgetCheckInput) => call('budget_check', { check })
/** Reserves `amount` (typed text) of a budget for a document; a HARD_BLOCK shortfall is an error. */
export const budgetReserve = (budget: string, request: string, amount: string, reason: string | null) =>
  call('budget_reserve', { budget, request, amount, reason })
/** Releases what a document holds in reserve (`amount: null`: all of it). */
export const budgetRelease = (
  budget: string,
  request: string,
  amount: string | null,
  action: ReleaseAction,
  reason: string,
) => call('budget_release', { budget, request, amount, action, reason })
export const budgetReleaseCommitment = (release: ReleaseCommitmentInput) =>
  call('budget_release_commitment', { release })
/**
 * Imports a CSV/XLSX file by path; `skip` imports the good rows and reports the bad ones,
 * `archive` archives the budgets the file leaves out, `preview` only checks and counts (nothing
 * is written; `missing_from_file` names what the file leaves out).
 */
export const budgetImport = (path: string, skip: boolean, archive: boolean, preview: boolean) =>
  call('budget_import', { path, skip, archive, preview })
/** The budget check log, newest first (who asked, by name; the document's number). */
export const budgetChecks = (query: BudgetCheckQuery) => call('budget_checks', { query })
export const budgetSyncHistory = (limit: number) => call('budget_sync_history', { limit })
export const budgetYear = (year: string | null, department: string | null) =>
  call('budget_year', { year, department })

/** The event `budget_import` sends with each progress report (src-tauri: BUDGET_IMPORT_PROGRESS). */
export const BUDGET_IMPORT_PROGRESS = 'budget-import-progress'

/** Calls `handler` with each import progress report until the returned function is called. */
export async function onImportProgress(handler: (progress: ImportProgress) => void): Promise<() => void> {
  return listen<ImportProgress>(BUDGET_IMPORT_PROGRESS, (event) => handler(event.payload))
}

export const notificationsList = () => call('notifications_list')
export const notificationsUnreadCount = () => call('notifications_unread_count')
export const notificationsMarkRead = (ids: string[]) => call('notifications_mark_read', { ids })

export const delegationsList = () => call('delegations_list')
export const delegationAdd = (delegation: NewDelegation) => call('delegation_add', { delegation })
export const delegationRevoke = (id: string) => call('delegation_revoke', { id })

export const workflowsList = () => call('workflows_list')
export const workflowSet = (workflow: WorkflowType, settings: JsonValue) =>
  call('workflow_set', { workflow, settings })
export const workflowSetEnabled = (workflow: WorkflowType, enabled: boolean) =>
  call('workflow_set_enabled', { workflow, enabled })
export const workflowRun = (workflow: WorkflowType, entity: string) =>
  call('workflow_run', { workflow, entity })
export const workflowExecutions = (filter: ExecutionFilter) => call('workflow_executions', { filter })
export const workflowRetry = (id: string) => call('workflow_retry', { id })
export const rulesList = () => call('rules_list')
export const rulesEvaluations = (document: string | null, limit: number) =>
  call('rules_evaluations', { document, limit })
export const syncStatus = () => call('sync_status')
export const syncProgress = () => call('sync_progress')
export const syncConnectivity = () => call('sync_connectivity')
export const syncDead = () => call('sync_dead')
export const syncRetry = (id: string) => call('sync_retry', { id })
export const syncRunNow = () => call('sync_run_now')

export const jobsList = () => call('jobs_list')
export const monitorSnapshot = () => call('monitor_snapshot')
export const reportsList = () => call('reports_list')
export const reportOpen = (id: string) => call('report_open', { id })
export const reportsFolderOpen = () => call('reports_folder_open')

// The sales ledger.
export const customersList = (query: CustomerQuery) => call('customers_list', { query })
export const customerShow = (key: string) => call('customer_show', { key })
export const customerAdd = (customer: NewCustomer) => call('customer_add', { customer })
export const customerEdit = (key: string, customer: NewCustomer) => call('customer_edit', { key, customer })
export const customerSetActive = (key: string, active: boolean) => call('customer_set_active', { key, active })
/** Adds every customer of a CSV/XLSX file by path, or none (the error names the bad rows). */
export const customersImport = (path: string) => call('customers_import', { path })

export const itemsList = (query: ItemQuery) => call('items_list', { query })
export const itemShow = (key: string) => call('item_show', { key })
export const itemAdd = (item: NewItem) => call('item_add', { item })
export const itemEdit = (key: string, item: NewItem) => call('item_edit', { key, item })
export const itemSetActive = (key: string, active: boolean) => call('item_set_active', { key, active })
export const itemsImport = (path: string) => call('items_import', { path })

/** Tax bands with their rates, units, credit-note reasons, payment methods. */
export const salesCodeLists = () => call('sales_code_lists')
export const salesList = (query: SalesQuery) => call('sales_list', { query })
export const saleShow = (key: string) => call('sale_show', { key })
/** The original with what is still creditable on each line (a credit note's starting point). */
export const saleCreditTemplate = (key: string) => call('sale_credit_template', { key })
export const saleCreate = (sale: NewSale) => call('sale_create', { sale })
export const saleUpdate = (key: string, sale: NewSale) => call('sale_update', { key, sale })
/** Issues a draft, or sends it for approval first (`warnings` of the result says which). */
export const saleIssue = (key: string) => call('sale_issue', { key })
export const saleVoid = (key: string, reason: string) => call('sale_void', { key, reason })
/** The core's band table for lines being typed; nothing is saved. */
export const salePreview = (lines: NewSaleLine[], basis: PriceBasis | null) =>
  call('sale_preview', { lines, basis })
export const salesSettingsGet = () => call('sales_settings_get')
export const salesSettingsSet = (change: SalesSettings) => call('sales_settings_set', { change })

/** Writes a list (with its page's filters) to a CSV or XLSX file; resolves to the file and its row count. */
export const exportList = (request: ExportRequest, format: ExportFormat, path: string) =>
  call('export_list', { request, format, path })

// ETR receipts.
export const receiptsList = (query: ReceiptQuery) => call('receipts_list', { query })
export const receiptShow = (key: string) => call('receipt_show', { key })
export const receiptPreview = (key: string, format: PaperFormat, copy = false) =>
  call('receipt_preview', { key, format, copy })
/** Saves the receipt's PDF at `path` (from the save dialog); recorded like a print. */
export const receiptSavePdf = (key: string, format: PaperFormat, path: string, copy = false) =>
  call('receipt_save_pdf', { key, format, copy, path })
export const receiptPrint = (key: string, request: PrintRequest) => call('receipt_print', { key, request })
export const receiptPrinters = () => call('receipt_printers')
export const receiptSettingsSet = (change: ReceiptSettings) => call('receipt_settings_set', { change })
/** Prints a sample receipt marked as a test on `printer` (or the format's printer); nothing is stored. */
export const receiptTestPrint = (format: PaperFormat, printer: string | null) =>
  call('receipt_test_print', { format, printer })

// KRA e-TIMS.
export const etimsDevice = () => call('etims_device')
/** Sets the device up with KRA (administrators); `already_installed` asks for the key kept. */
export const etimsDeviceInit = (setup: DeviceSetupInput) => call('etims_device_init', { setup })
/** Sets the last e-TIMS invoice number used, after KRA named another one. */
export const etimsDeviceCounter = (last: number) => call('etims_device_counter', { last })
export const etimsStatus = (key: string) => call('etims_status', { key })
/** The KRA status badges of several sales, in the order asked. */
export const etimsStatuses = (keys: string[]) => call('etims_statuses', { keys })
export const etimsChecklist = (key: string) => call('etims_checklist', { key })
export const etimsPayload = (key: string) => call('etims_payload', { key })
/** Queues a sale for KRA (its workflow); the sync sends it. */
export const etimsSend = (key: string) => call('etims_send', { key })
export const etimsGiveUp = (key: string, reason: string) => call('etims_give_up', { key, reason })
/** Asks KRA about an e-TIMS invoice number; nothing is changed. */
export const etimsLookup = (number: number) => call('etims_lookup', { number })
export const etimsQueue = () => call('etims_queue')
/** KRA's notices as last downloaded with the reference data. */
export const etimsNotices = () => call('etims_notices')
/** Downloads KRA's reference data (code lists, item classes, notices), then answers the notices. */
export const etimsReferenceRefresh = () => call('etims_reference_refresh')
/** KRA's records as last fetched (branches, items, imported items, sales, customers, taxpayer). */
export const etimsKraRecords = () => call('etims_kra_records')
/** Fetches one of KRA's lists (every list with null) with the company's device. */
export const etimsKraRefresh = (list: string | null) => call('etims_kra_refresh', { list })
export const etimsBranchUsers = () => call('etims_branch_users')
/** Queues every user KRA does not hold as they are now (administrators). */
export const etimsBranchUsersRegister = () => call('etims_branch_users_register')
export const etimsCompositions = () => call('etims_compositions')
/** Sets an item's components and queues the composition for KRA. */
export const etimsCompositionSet = (item: string, components: ComponentEntry[]) =>
  call('etims_composition_set', { item, components })
export const etimsInsurers = () => call('etims_insurers')
export const etimsInsurerAdd = (insurer: InsurerInput) => call('etims_insurer_add', { insurer })
export const etimsInsurerUpdate = (key: string, change: InsurerEdit) => call('etims_insurer_update', { key, change })
/** Every goods item's quantity on hand and how its last stock movement stands at KRA. */
export const etimsStockLevels = () => call('etims_stock_levels')
/** The stock movements, newest first; of one item when `item` is given. */
export const etimsStockMoves = (item: string | null) => call('etims_stock_moves', { item })
/** Records the opening stock of a goods item (quantity and unit cost as typed) for KRA. */
export const etimsStockOpening = (item: string, quantity: string, cost: string) =>
  call('etims_stock_opening', { item, quantity, cost })
/** Corrects the stock of a goods item by `delta` (negative: out), for `reason`. */
export const etimsStockAdjust = (item: string, delta: string, reason: string) =>
  call('etims_stock_adjust', { item, delta, reason })
export const etimsImports = () => call('etims_imports')
/** Fetches KRA's list of imported items, then answers the list. */
export const etimsImportsRefresh = () => call('etims_imports_refresh')
export const etimsImportAccept = (reference: string, item: string, remark: string | null) =>
  call('etims_import_accept', { reference, item, remark })
export const etimsImportReject = (reference: string, remark: string | null) =>
  call('etims_import_reject', { reference, remark })
/** The suppliers' sales as last fetched; `filter` keeps one state (e.g. 'awaiting_review'). */
export const etimsPurchases = (filter: string | null) => call('etims_purchases', { filter })
/** Fetches the suppliers' sales from KRA, then answers the list. */
export const etimsPurchasesRefresh = () => call('etims_purchases_refresh')
export const etimsPurchaseShow = (id: string) => call('etims_purchase_show', { id })
/** Maps a supplier line to one of the company's items. */
export const etimsPurchaseMap = (id: string, line: number, item: string) =>
  call('etims_purchase_map', { id, line, item })
export const etimsPurchaseAccept = (id: string) => call('etims_purchase_accept', { id })
export const etimsPurchaseReject = (id: string, reason: string) => call('etims_purchase_reject', { id, reason })

// QuickBooks Online.
/** The connection, or null when QuickBooks is not set up for the company. */
export const qboStatus = () => call('qbo_status')
/** Sets how the company connects (administrators); the client secret goes to the OS keyring. */
export const qboConfigure = (settings: ConnectionSettings, clientSecret: string | null) =>
  call('qbo_configure', { settings, secret: clientSecret })
/** Starts connecting: the consent page's address, opened in the browser when `open`. */
export const qboAuthorizeUrl = (open: boolean) => call('qbo_authorize_url', { open })
/** Finishes connecting with the address the browser landed on. */
export const qboConnectPaste = (pasted: string) => call('qbo_connect_paste', { pasted })
/** Pulls now; progress comes as `qbo-pull-progress` events ({@link onQboPullProgress}). */
export const qboPull = (full = false) => call('qbo_pull', { full })
export const qboReviews = () => call('qbo_reviews')
/** A sale's QuickBooks transaction and write-back state; null when it did not come from QuickBooks. */
export const qboSaleStatus = (key: string) => call('qbo_sale_status', { key })
/** The QuickBooks side of several sales (ids), leaving out those not from QuickBooks. */
export const qboSaleStatuses = (keys: string[]) => call('qbo_sale_statuses', { keys })
/** Opens a sale's QuickBooks transaction in the browser; answers the address. */
export const qboSaleOpen = (key: string) => call('qbo_sale_open', { key })

/** The event `qbo_pull` sends with each progress report (src-tauri: QBO_PULL_PROGRESS). */
export const QBO_PULL_PROGRESS = 'qbo-pull-progress'

/** Calls `handler` with each pull progress report until the returned function is called. */
export async function onQboPullProgress(handler: (progress: PullProgress) => void): Promise<() => void> {
  return listen<PullProgress>(QBO_PULL_PROGRESS, (event) => handler(event.payload))
}
/** Revokes at Intuit and wipes the tokens; `force` wipes even when Intuit cannot be reached. */
export const qboDisconnect = (force = false) => call('qbo_disconnect', { force })
