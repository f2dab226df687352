// End-to-end test of the real desktop window: tauri-driver starts target/debug/hesabu-desktop
// (a normal `cargo build -p hesabu-desktop`, which embeds ui/dist) and drives it through
// WebKitWebDriver. Needs an X display; run it with tests/e2e/run.sh, which wraps it in
// Xvfb and a private D-Bus session.
//
// Environment: HESABU_DESKTOP_BIN (the app binary), E2E_DRIVER_PORT / E2E_NATIVE_PORT
// (default 4444 / 4445), E2E_DOCS_SCREENSHOT (a path: also save the demo's Settings › Users
// page there, e.g. docs/screenshot.png).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import net from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Builder, By, Key, until } from 'selenium-webdriver'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const appBinary = path.resolve(process.env.HESABU_DESKTOP_BIN ?? path.join(repo, 'target/debug/hesabu-desktop'))
const driverPort = Number(process.env.E2E_DRIVER_PORT ?? 4444)
const nativePort = Number(process.env.E2E_NATIVE_PORT ?? 4445)
const driverUrl = `http://127.0.0.1:${driverPort}/`
const artifacts = path.join(here, 'artifacts')
const WAIT_MS = 20_000

let tauriDriver
let driverExit = null
let dataDir

before(async () => {
  assert.ok(existsSync(appBinary), `${appBinary} does not exist: run cargo build -p hesabu-desktop first`)
  mkdirSync(artifacts, { recursive: true })
  for (const port of [driverPort, nativePort]) {
    // Otherwise the readiness check below could be answered by somebody else's driver.
    assert.ok(!(await listening(port)), `port ${port} is in use: stop what uses it or set E2E_DRIVER_PORT / E2E_NATIVE_PORT`)
  }
  dataDir = mkdtempSync(path.join(tmpdir(), 'hesabu-e2e-'))
  // tauri-driver passes its environment on to the app it starts. It runs in its own process
  // group so that after() can stop it together with the WebKitWebDriver it starts (which would
  // otherwise outlive it), and its output is piped, not inherited, so that no leftover process
  // can hold the test runner's stdout open.
  tauriDriver = spawn('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], {
    env: { ...process.env, HESABU_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  tauriDriver.stdout.on('data', (chunk) => process.stderr.write(chunk))
  tauriDriver.stderr.on('data', (chunk) => process.stderr.write(chunk))
  tauriDriver.on('exit', (code, signal) => {
    driverExit = `tauri-driver exited (code ${code}, signal ${signal})`
  })
  tauriDriver.on('error', (error) => {
    driverExit = `tauri-driver could not start: ${error.message} (install it: cargo install tauri-driver --locked --version '^2')`
  })
  await waitForDriver()
})

after(async () => {
  if (tauriDriver?.pid) {
    const exited = tauriDriver.exitCode === null ? new Promise((resolve) => tauriDriver.once('exit', resolve)) : null
    killGroup(tauriDriver.pid, 'SIGTERM')
    if (exited) await Promise.race([exited, sleep(5_000)])
    killGroup(tauriDriver.pid, 'SIGKILL')
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

/** Signals tauri-driver's whole process group (tauri-driver, WebKitWebDriver). */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function waitForDriver() {
  const deadline = Date.now() + WAIT_MS
  while (Date.now() < deadline) {
    if (driverExit) throw new Error(driverExit)
    try {
      const response = await fetch(`${driverUrl}status`)
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await sleep(100)
  }
  throw new Error(`tauri-driver did not answer on ${driverUrl}status within ${WAIT_MS} ms`)
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Starts the app in a new WebDriver session, runs `body`, and always screenshots and quits. */
async function withApp(name, body) {
  const driver = await new Builder()
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: appBinary } })
    .usingServer(driverUrl)
    .build()
  try {
    await body(driver)
    await screenshot(driver, `${name}.png`)
  } catch (error) {
    await screenshot(driver, `${name}-failure.png`).catch(() => {})
    throw error
  } finally {
    await driver.quit()
  }
}

async function screenshot(driver, file) {
  const png = Buffer.from(await driver.takeScreenshot(), 'base64')
  writeFileSync(path.join(artifacts, file), png)
  return png
}

async function visible(driver, css) {
  const element = await driver.wait(until.elementLocated(By.css(css)), WAIT_MS, `${css} never appeared`)
  await driver.wait(until.elementIsVisible(element), WAIT_MS, `${css} never became visible`)
  return element
}

async function click(driver, css) {
  const element = await visible(driver, css)
  await driver.wait(until.elementIsEnabled(element), WAIT_MS, `${css} stayed disabled`)
  await element.click()
}

/** Replaces whatever the field holds (some are pre-filled) with `text`. */
async function fill(driver, css, text) {
  const element = await visible(driver, css)
  await element.clear()
  if ((await element.getAttribute('value')) !== '') {
    await element.sendKeys(Key.chord(Key.CONTROL, 'a'), Key.BACK_SPACE)
  }
  await element.sendKeys(text)
  assert.equal(await element.getAttribute('value'), text, `${css} did not take the text`)
}

async function choose(driver, css, value) {
  await click(driver, `${css} option[value="${value}"]`)
  assert.equal(await (await visible(driver, css)).getAttribute('value'), value)
}

async function signIn(driver, email, password) {
  await visible(driver, '#login-password')
  await fill(driver, '#login-email', email)
  await fill(driver, '#login-password', password)
  await click(driver, '#login-submit')
}

test('create a company, sign in as its admin and add a user', async () => {
  await withApp('create-company', async (driver) => {
    await click(driver, '#create-company')
    const companyPath = path.join(dataDir, 'Baraka Hardware.hesabu')
    await fill(driver, '#company-legal-name', 'Baraka Hardware Limited')
    await fill(driver, '#company-kra-pin', 'P051234567X')
    await fill(driver, '#company-path', companyPath)
    await fill(driver, '#admin-name', 'Wanjiku Mwangi')
    await fill(driver, '#admin-email', 'wanjiku@baraka.test')
    await fill(driver, '#admin-password', 'baraka-admin-1')
    await click(driver, '#create-company-submit')

    // The login screen shows with the admin's email filled in.
    const email = await visible(driver, '#login-email')
    await driver.wait(
      async () => (await email.getAttribute('value')) === 'wanjiku@baraka.test',
      WAIT_MS,
      'the login screen did not fill in the admin email',
    )
    await fill(driver, '#login-password', 'baraka-admin-1')
    await click(driver, '#login-submit')

    await driver.wait(until.elementTextContains(await visible(driver, '#user-menu'), 'Wanjiku Mwangi'), WAIT_MS)
    await click(driver, 'a[data-nav="settings-users"]')
    await click(driver, '#add-user')
    await fill(driver, '#user-name', 'Otieno Ouma')
    await fill(driver, '#user-email', 'otieno@baraka.test')
    await choose(driver, '#user-role', 'employee')
    await fill(driver, '#user-password', 'otieno-pass-1')
    await click(driver, '#user-add-submit')

    const row = await visible(driver, '#users-table tr[data-email="otieno@baraka.test"]')
    assert.match(await row.getText(), /Otieno Ouma/)
    assert.ok(existsSync(companyPath), 'the company file was not written where asked')
  })
})

test('open the demo company and sign in as its admin', async () => {
  await withApp('demo-company', async (driver) => {
    await click(driver, '#open-demo')
    await signIn(driver, 'admin@demo.test', 'hesabu-demo')
    const menu = await visible(driver, '#user-menu')
    await driver.wait(until.elementTextContains(menu, 'Amina Odhiambo'), WAIT_MS)

    await click(driver, 'a[data-nav="settings-users"]')
    await visible(driver, '#users-table tr[data-email="auditor@demo.test"]')
    const rows = await driver.findElements(By.css('#users-table tr[data-email]'))
    assert.equal(rows.length, 8, 'the demo company has eight users')
    const png = await screenshot(driver, 'demo-users.png')
    if (process.env.E2E_DOCS_SCREENSHOT) writeFileSync(path.resolve(repo, process.env.E2E_DOCS_SCREENSHOT), png)

    // The admin imports a budget sheet with one bad row, skipping it: the preview lists the row
    // to fix and changes nothing; confirmed, the import runs, progress events reach the window,
    // and the result lists the row to fix. (The path is typed: WebDriver cannot drive the native
    // file dialog behind "Choose file…".)
    const sheet = path.join(dataDir, 'e2e-budgets.csv')
    writeFileSync(
      sheet,
      'department,period,amount,currency,enforcement\nFinance,FY2026,900000.00,KES,HARD_BLOCK\nFinance,2026-Q2,lots,KES,HARD_BLOCK\n',
    )
    await click(driver, 'a[data-nav="budgets"]')
    await click(driver, '#budget-import-open')
    await fill(driver, '#budget-import-path', sheet)
    await click(driver, '#budget-import-skip')
    await click(driver, '#budget-import-submit')
    const preview = await visible(driver, '#budget-import-preview')
    assert.equal(await preview.getAttribute('data-status'), 'partial')
    await visible(driver, '#budget-import-errors li[data-line="3"]')
    await click(driver, '#budget-import-confirm')
    const result = await visible(driver, '#budget-import-result')
    assert.equal(await result.getAttribute('data-status'), 'partial')
    const bad = await visible(driver, '#budget-import-errors li[data-line="3"]')
    assert.match(await bad.getText(), /Line 3: amount 'lots' is not a number/)
    const bar = await visible(driver, '#budget-import-progress')
    await driver.wait(async () => Number(await bar.getAttribute('data-events')) > 0, WAIT_MS, 'no progress event arrived')
    assert.equal(await bar.getAttribute('aria-valuenow'), '100')
    await visible(driver, '#budget-sync-history tr[data-run-id][data-status="partial"]')
    await driver.executeScript("document.getElementById('budget-import-card').scrollIntoView()")
    await screenshot(driver, 'demo-budget-import.png')
    // Signing in as an admin started the scheduler: its start-up run shows on Monitoring.
    await click(driver, 'a[data-nav="monitoring"]')
    await visible(driver, '#chart-sla')
    await driver.wait(
      async () => {
        const status = await driver.findElements(By.css('#jobs-table tr[data-job="approval_jobs"] .status.on'))
        if (status.length > 0) return true
        await click(driver, '#monitor-refresh')
        return false
      },
      WAIT_MS,
      'the approval jobs never showed a successful start-up run',
    )
    await screenshot(driver, 'demo-monitoring.png')

    // Sync: the queue table and a connectivity indicator (no targets yet: the OS hint decides).
    await click(driver, 'a[data-nav="sync"]')
    await visible(driver, '#sync-targets')
    await driver.wait(
      async () => (await (await visible(driver, '#sync-connectivity')).getAttribute('data-state')) !== 'unknown' ||
        (await (await visible(driver, '#sync-os-hint')).getText()).length > 0,
      WAIT_MS,
      'the connectivity check never answered',
    )
    await click(driver, '#sync-now')
    // The demo's sales were signed by its local e-TIMS sandbox when it was created, and the
    // scheduler's start-up run sent anything left: nothing is due now. A scheduler tick may
    // hold the sync at that very moment.
    await driver.wait(
      async () => /Sent 0|Not sent from here/.test(await (await visible(driver, '#sync-notice')).getText()),
      WAIT_MS,
      'Sync now did not report',
    )
    await screenshot(driver, 'demo-sync.png')

    // KRA e-TIMS: the stock the demo's signed sales of goods moved, the suppliers' sales KRA
    // holds against the company's PIN (fetched from the local sandbox), and KRA's records.
    await click(driver, 'a[data-nav="etims"]')
    await click(driver, '#etims-tab-stock')
    await visible(driver, '#stock-table')
    await sleep(400)
    await screenshot(driver, 'demo-etims-stock.png')
    // An item's movements (its opening stock, then what signed sales took) and the count form.
    await click(driver, '#stock-table button[data-moves]')
    await visible(driver, '#stock-moves tr[data-move]')
    await click(driver, '#stock-table button[data-adjust]')
    await fill(driver, '#stock-counted', '100')
    await driver.wait(
      async () => (await (await visible(driver, '#stock-change')).getText()) !== '–',
      WAIT_MS,
      'the count form never showed the difference',
    )
    await sleep(300)
    await screenshot(driver, 'demo-etims-stock-count.png')
    await click(driver, '#etims-tab-purchases')
    await click(driver, '#purchases-refresh')
    await driver.wait(
      async () => (await driver.findElements(By.css('#purchases-notice, #purchases-error'))).length > 0,
      WAIT_MS,
      'fetching the suppliers\' sales never answered',
    )
    assert.equal((await driver.findElements(By.css('#purchases-error'))).length, 0)
    await sleep(400)
    await screenshot(driver, 'demo-etims-purchases.png')
    await click(driver, '#etims-tab-records')
    await visible(driver, '#kra-reconciliation')
    await sleep(400)
    await screenshot(driver, 'demo-etims-records.png')
  })
})

test('in the demo, an employee raises a purchase request and the manager approves it', async () => {
  await withApp('demo-approval', async (driver) => {
    await click(driver, '#open-demo')

    // The storekeeper raises 12,500 KES: the "Up to 25,000" rule routes it to the reporting
    // manager alone (ops.manager@demo.test).
    await signIn(driver, 'storekeeper@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    await click(driver, 'a[data-nav="approvals"]')
    await click(driver, '#new-request')
    await choose(driver, '#request-type', 'purchase_order')
    await fill(driver, '#request-title', 'E2E printer toner')
    await fill(driver, '#request-amount', '12500.00')
    await click(driver, '#request-submit')
    const notice = await visible(driver, '#approvals-notice')
    await driver.wait(until.elementTextContains(notice, 'submitted'), WAIT_MS)
    const mine = await visible(driver, '#my-requests tr[data-number]')
    const number = await mine.getAttribute('data-number')
    assert.match(number, /^PO-\d+$/)
    assert.match(await mine.getText(), /Pending approval/)
    assert.match(await mine.getText(), /12,500\.00/)
    await click(driver, '#logout')

    // The manager sees it counted on the dashboard, finds it in the inbox and approves it.
    await signIn(driver, 'ops.manager@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    await driver.wait(until.elementTextContains(await visible(driver, '#figure-pending .figure-value'), '1'), WAIT_MS)
    await screenshot(driver, 'demo-dashboard.png')
    // The bell counts the new approval request; opening it lists it and marks it read. (No
    // notification daemon runs here: desktop delivery fails, is logged, and the app carries on.)
    const badge = await visible(driver, '#notification-bell .badge')
    await driver.wait(async () => Number(await badge.getText()) >= 1, WAIT_MS, 'the bell never counted')
    await click(driver, '#notification-bell')
    const note = await visible(driver, '#notifications .notification[data-id]')
    await driver.wait(until.elementTextContains(note, number), WAIT_MS)
    await driver.wait(until.elementTextIs(badge, '0'), WAIT_MS)
    await screenshot(driver, 'demo-notifications.png')
    await click(driver, '#notification-bell')
    await click(driver, 'a[data-nav="approvals"]')
    await click(driver, `.inbox-row[data-document-number="${number}"]`)
    const why = await visible(driver, '#why-with-me')
    assert.match(await why.getText(), /Why is this with me/)
    await visible(driver, '#document-timeline .timeline-entry')
    await screenshot(driver, 'demo-approval-detail.png')
    await click(driver, '#approve')
    await driver.wait(until.elementTextContains(await visible(driver, '#approvals-notice'), `${number} approved`), WAIT_MS)
    await screenshot(driver, 'demo-approval-inbox.png')

    // The manager delegates their approvals to the sales manager, then revokes it.
    await click(driver, '#tab-delegations')
    await choose(driver, '#delegation-to', 'sales.manager@demo.test')
    await driver.executeScript(
      "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', { bubbles: true }))",
      '#delegation-until',
      '2099-01-01',
    )
    await click(driver, '#delegation-submit')
    await driver.wait(until.elementTextContains(await visible(driver, '#delegations-notice'), 'delegated'), WAIT_MS)
    const delegationRow = await visible(driver, '#delegations-table tr[data-delegation-id]')
    const delegationId = await delegationRow.getAttribute('data-delegation-id')
    await screenshot(driver, 'demo-delegations.png')
    await click(driver, `button[data-revoke="${delegationId}"]`)
    await driver.wait(until.elementTextContains(await visible(driver, '#delegations-notice'), 'revoked'), WAIT_MS)
    await driver.wait(
      async () => (await (await visible(driver, `tr[data-delegation-id="${delegationId}"]`)).getAttribute('data-state')) === 'revoked',
      WAIT_MS,
      'the delegation never showed as revoked',
    )

    // The manager may view budgets: the demo's budgets show with their utilisation.
    await click(driver, 'a[data-nav="budgets"]')
    const budget = await visible(driver, '#budgets-table tr[data-budget-id]')
    assert.match(await budget.getText(), /%/)
    await click(driver, `#budgets-table tr[data-budget-id] button[data-ledger]`)
    await visible(driver, '#budget-ledger tr[data-seq]')
    // By hand, through the real commands: reserve for a document, then release it (an approver
    // may release their own reservations); each move lands in the ledger.
    const entriesBefore = (await driver.findElements(By.css('#budget-ledger tr[data-seq]'))).length
    await fill(driver, '#budget-move-request', 'PO-E2E-1')
    await fill(driver, '#budget-move-amount', '1,000')
    await click(driver, '#budget-move-submit')
    await driver.wait(until.elementTextContains(await visible(driver, '#budget-move-result'), 'Reserved for PO-E2E-1'), WAIT_MS)
    await driver.wait(
      async () => (await driver.findElements(By.css('#budget-ledger tr[data-seq]'))).length === entriesBefore + 1,
      WAIT_MS,
      'the reservation never showed in the ledger',
    )
    await driver.findElement(By.css('#budget-move-kind option[value="release"]')).click()
    await fill(driver, '#budget-move-reason', 'Raised by mistake')
    await click(driver, '#budget-move-submit')
    await driver.wait(until.elementTextContains(await visible(driver, '#budget-move-result'), 'Released for PO-E2E-1'), WAIT_MS)
    await driver.wait(
      async () => (await driver.findElements(By.css('#budget-ledger tr[data-seq]'))).length === entriesBefore + 2,
      WAIT_MS,
      'the release never showed in the ledger',
    )
    await screenshot(driver, 'demo-budget-move.png')
    // The fiscal year month by month, and the demo's own import in the history.
    await visible(driver, '#budget-year-chart polyline.line-budgeted')
    assert.equal((await driver.findElements(By.css('#budget-year-chart g.month'))).length, 12)
    await visible(driver, '#budget-sync-history tr[data-run-id][data-status="ok"]')
    await screenshot(driver, 'demo-budgets.png')
    await driver.executeScript("document.getElementById('budget-year-card').scrollIntoView()")
    await screenshot(driver, 'demo-budget-year.png')
    await click(driver, '#logout')

    // The storekeeper sees it approved under My requests.
    await signIn(driver, 'storekeeper@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    await click(driver, 'a[data-nav="approvals"]')
    await click(driver, '#tab-mine')
    const row = await visible(driver, `#my-requests tr[data-number="${number}"]`)
    await driver.wait(until.elementTextContains(row, 'Approved'), WAIT_MS)
  })
})

test('in the demo, the policy editor shows the validator message next to its level', async () => {
  await withApp('demo-policy-editor', async (driver) => {
    await click(driver, '#open-demo')
    await signIn(driver, 'admin@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    await click(driver, 'a[data-nav="approvals"]')
    await click(driver, '#tab-policies')
    const poRow = await visible(driver, '#policies-by-type tr[data-doc-type="purchase_order"]')
    assert.match(await poRow.getText(), /v\d+/)
    await click(driver, 'button[data-edit-type="purchase_order"]')
    await visible(driver, '#policy-form')
    // An SLA of 0 hours: the core's validator names level 1 and the fix, shown inside level 1.
    await fill(driver, '.policy-level[data-level="1"] .level-sla', '0')
    await click(driver, '#policy-validate')
    const issues = await visible(driver, '.policy-level[data-level="1"] .level-issues')
    await driver.wait(until.elementTextContains(issues, 'sla_hours 0'), WAIT_MS)
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", issues)
    await screenshot(driver, 'demo-policy-editor.png')
    // Saving refuses while the problem is there; nothing new is saved.
    await click(driver, '#policy-save')
    await driver.wait(until.elementTextContains(await visible(driver, '#policies-error'), 'not saved'), WAIT_MS)
  })
})

test('in the demo, the finance manager enables the invoice workflow and fixes its config', async () => {
  await withApp('demo-workflows', async (driver) => {
    await click(driver, '#open-demo')
    await signIn(driver, 'cfo@demo.test', 'hesabu-demo')
    await click(driver, 'a[data-nav="workflows"]')
    const row = 'tr[data-workflow="invoice_sync"]'
    // The desktop's demo ships with invoice sync on: switch it off and on again.
    await click(driver, `${row} .workflow-toggle`)
    await driver.wait(until.elementTextContains(await visible(driver, '#workflows-notice'), 'Invoices disabled'), WAIT_MS)
    await click(driver, `${row} .workflow-toggle`)
    await driver.wait(until.elementTextContains(await visible(driver, '#workflows-notice'), 'Invoices enabled'), WAIT_MS)

    await click(driver, `${row} .workflow-configure`)
    const amount = '#workflow-form [data-config-key="requireApprovalAbove"] input'
    await fill(driver, amount, 'lots')
    await click(driver, '#workflow-form-save')
    await visible(driver, '[data-config-key="requireApprovalAbove"] .field-error')
    await fill(driver, amount, '50,000')
    await click(driver, '#workflow-form-save')
    await driver.wait(until.elementTextContains(await visible(driver, '#workflows-notice'), 'saved (version 4)'), WAIT_MS)

    await click(driver, '#tab-executions')
    // The demo's issued invoices wait in the outbox for e-TIMS, named by their numbers; the
    // cash sale and credit note were skipped because their workflows are off.
    await visible(driver, '#executions-table tr[data-status="pending"]')
    const log = await (await visible(driver, '#executions-table')).getText()
    assert.match(log, /INV-000001/)
    assert.match(log, /workflow not enabled/)
    await screenshot(driver, 'demo-executions.png')
    await click(driver, '#tab-rules')
    await visible(driver, '#rules-table')
  })
})

test('in the demo, the admin adds a customer and an item, writes a three-line invoice and issues it', async () => {
  await withApp('demo-sales', async (driver) => {
    // The sales screens are laid out for a 1366×768 laptop: look at them at that size.
    await driver.manage().window().setRect({ width: 1366, height: 768 }).catch(() => {})
    await click(driver, '#open-demo')
    await signIn(driver, 'admin@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    // Names and codes of this run only, so the test depends on nothing the demo ships.
    const run = String(Date.now()).slice(-9)
    const customerName = `E2E Duka ${run} Ltd`
    const pin = `P${run}E`
    const itemCode = `E2E-${run}`

    // A business customer with a KRA PIN.
    await click(driver, 'a[data-nav="customers"]')
    await click(driver, '#add-customer')
    await fill(driver, '#customer-name', customerName)
    await fill(driver, '#customer-pin', pin)
    await fill(driver, '#customer-mobile', '0712 345 678')
    await fill(driver, '#customer-credit-limit', '100,000')
    await click(driver, '#customer-save')
    await driver.wait(until.elementTextContains(await visible(driver, '#customers-notice'), customerName), WAIT_MS)
    const customerNumber = await driver.executeScript(
      'return [...document.querySelectorAll("#customers-table tr[data-customer]")].find((r) => r.textContent.includes(arguments[0]))?.dataset.customer',
      pin,
    )
    assert.match(customerNumber, /^C-\d{5}$/)
    await screenshot(driver, 'demo-customers.png')

    // A service item, 1,000.00 in band B.
    await click(driver, 'a[data-nav="items"]')
    await click(driver, '#add-item')
    await fill(driver, '#item-code', itemCode)
    await fill(driver, '#item-name', `E2E bookkeeping hour ${run}`)
    await choose(driver, '#item-tax-type', 'B')
    await choose(driver, '#item-product-type', 'service')
    await fill(driver, '#item-price', '1,000')
    await click(driver, '#item-save')
    await driver.wait(until.elementTextContains(await visible(driver, '#items-notice'), 'KRA item code'), WAIT_MS)
    await visible(driver, `#items-table tr[data-item="${itemCode}"]`)
    await screenshot(driver, 'demo-items.png')

    // The invoice, from the keyboard: the customer picked by typing, then three lines.
    await click(driver, 'a[data-nav="sales"]')
    await click(driver, '#new-invoice')
    const customerField = await visible(driver, '#sale-customer')
    await driver.wait(async () => (await driver.switchTo().activeElement().getAttribute('id')) === 'sale-customer', WAIT_MS, 'the editor did not focus the customer')
    await customerField.sendKeys(`Duka ${run}`)
    await visible(driver, '#sale-customer-list [role="option"]')
    await customerField.sendKeys(Key.ENTER)
    await driver.wait(until.elementTextContains(await visible(driver, '#sale-customer-hint'), pin), WAIT_MS)
    await choose(driver, '#sale-basis', 'inclusive')

    const cell = (line, name) => `#sale-lines tr[data-line="${line}"] [data-cell="${name}"]`
    const typeInto = async (css, text) => {
      const element = await visible(driver, css)
      // Whatever the cell holds goes first (a modifier held with the text would swallow it).
      if ((await element.getAttribute('value')) !== '') await element.sendKeys(Key.chord(Key.CONTROL, 'a'), Key.BACK_SPACE)
      await element.sendKeys(text)
      return element
    }
    const activeCell = async () => driver.switchTo().activeElement().getAttribute('data-cell')

    // Line 1: the item, picked from the list; 2 hours at its price.
    const item = await typeInto(cell(1, 'item'), itemCode)
    await visible(driver, '#sale-lines [role="option"]')
    await item.sendKeys(Key.ENTER)
    await driver.wait(async () => (await activeCell()) === 'qty', WAIT_MS, 'picking the item did not move to the quantity')
    await (await typeInto(cell(1, 'qty'), '2')).sendKeys(Key.TAB)
    assert.equal(await activeCell(), 'price')
    assert.equal(await (await visible(driver, cell(1, 'price'))).getAttribute('value'), '1,000.00')
    await driver.switchTo().activeElement().sendKeys(Key.TAB)
    await driver.switchTo().activeElement().sendKeys(Key.TAB)
    assert.equal(await activeCell(), 'tax')
    await driver.switchTo().activeElement().sendKeys(Key.ENTER)
    await visible(driver, cell(2, 'item'))
    await driver.wait(async () => (await activeCell()) === 'item', WAIT_MS, 'Enter on the tax cell did not start line 2')

    // Line 2: no item, a description, 1,500.00 in band B. Enter moves cell to cell.
    await (await typeInto(cell(2, 'item'), 'Delivery to Thika')).sendKeys(Key.ENTER)
    await (await typeInto(cell(2, 'qty'), '1')).sendKeys(Key.ENTER)
    await (await typeInto(cell(2, 'price'), '1,500')).sendKeys(Key.ENTER)
    await driver.switchTo().activeElement().sendKeys(Key.ENTER)
    await choose(driver, cell(2, 'tax'), 'B')
    await (await visible(driver, cell(2, 'tax'))).sendKeys(Key.ENTER)
    await visible(driver, cell(3, 'item'))

    // Line 3: exempt books, 3 at 200.00.
    await (await typeInto(cell(3, 'item'), 'Exempt books')).sendKeys(Key.ENTER)
    await (await typeInto(cell(3, 'qty'), '3')).sendKeys(Key.ENTER)
    await (await typeInto(cell(3, 'price'), '200')).sendKeys(Key.ENTER)
    await choose(driver, cell(3, 'tax'), 'A')

    // The core's band table: inclusive prices, 2,000 + 1,500 in B and 600 in A.
    const total = await visible(driver, '#sale-editor-totals [data-total="total"]')
    await driver.wait(until.elementTextIs(total, '4,100.00'), WAIT_MS, 'the live total never became 4,100.00')
    assert.equal(await (await visible(driver, '#sale-editor-totals tr[data-band="B"] [data-taxable]')).getText(), '3,017.24')
    assert.equal(await (await visible(driver, '#sale-editor-totals tr[data-band="B"] [data-vat]')).getText(), '482.76')
    assert.equal(await (await visible(driver, '#sale-editor-totals tr[data-band="A"] [data-taxable]')).getText(), '600.00')
    await screenshot(driver, 'demo-invoice-editor.png')

    await click(driver, '#sale-save-issue')
    const status = await visible(driver, '#sale-detail[data-status="issued"] #sale-status')
    assert.equal(await status.getText(), 'Issued, waiting for KRA')
    const number = await (await visible(driver, '#sale-number')).getText()
    assert.match(number, /^INV-\d{6}$/)
    assert.equal(await (await visible(driver, '#sale-customer-pin')).getText(), pin)
    assert.equal((await driver.findElements(By.css('#sale-lines-view tbody tr'))).length, 3)
    await screenshot(driver, 'demo-sale-detail.png')

    await click(driver, '#sales-back')
    const row = await visible(driver, `#sales-table tr[data-number="${number}"]`)
    assert.equal(await row.getAttribute('data-status'), 'issued')
    assert.equal(await (await row.findElement(By.css('.sale-total'))).getText(), '4,100.00')
    assert.match(await row.getText(), new RegExp(customerName))
    await screenshot(driver, 'demo-sales-list.png')

    // The demo's QuickBooks is a local sandbox (a test double, not Intuit's): its invoices were
    // pulled (INV-000004 on), signed by the local e-TIMS sandbox and written back.
    const pulled = await visible(driver, '#sales-table tr[data-number="INV-000004"] .qbo-badge')
    assert.equal(await pulled.getAttribute('data-qbo-stage'), 'done')
    await click(driver, '#sales-table tr[data-number="INV-000004"] button')
    assert.equal(await (await visible(driver, '#sale-qbo-stage')).getText(), 'Attached and updated')
    assert.match(await (await visible(driver, '#sale-qbo-local')).getText(), /local sandbox/)
    await screenshot(driver, 'demo-sale-quickbooks.png')
    await click(driver, 'a[data-nav="settings-quickbooks"]')
    assert.match(await (await visible(driver, '#qbo-local-sandbox')).getText(), /not Intuit's QuickBooks/)
    await click(driver, '#qbo-pull')
    await driver.wait(until.elementTextContains(await visible(driver, '#qbo-pull-result'), 'Pulled the changes'), WAIT_MS)
    await driver.wait(async () => (await driver.findElements(By.css('#qbo-pull-progress'))).length === 0, WAIT_MS, 'the pull never ended')
    await sleep(400)
    await screenshot(driver, 'demo-quickbooks.png')
    await click(driver, 'a[data-nav="sales"]')

    // A credit note for one of the two hours: it starts from the invoice's lines.
    await click(driver, `#sales-table tr[data-number="${number}"] button`)
    await click(driver, '#sale-credit')
    await visible(driver, '#sale-editor[data-doc-type="credit_note"]')
    assert.equal((await driver.findElements(By.css('#sale-lines tbody tr'))).length, 3)
    await choose(driver, '#sale-reason', '06')
    await click(driver, '#sale-lines [data-remove-line="3"]')
    await click(driver, '#sale-lines [data-remove-line="2"]')
    await typeInto(cell(1, 'qty'), '1')
    await driver.wait(until.elementTextIs(await visible(driver, '#sale-editor-totals [data-total="total"]'), '1,000.00'), WAIT_MS)
    await screenshot(driver, 'demo-credit-note-editor.png')
    await click(driver, '#sale-save-issue')
    await visible(driver, '#sale-detail[data-status="issued"]')
    assert.match(await (await visible(driver, '#sale-number')).getText(), /^CN-\d{6}$/)
    assert.equal(await (await visible(driver, '#sale-original')).getText(), number)
    assert.equal(await (await visible(driver, '#sale-total')).getText(), 'KES 1,000.00')
  })
})

/**
 * Visits every page in the menu at the given window size: each shows its heading and no
 * permission error, and is screenshotted as `{prefix}-{page}-{width}.png`.
 */
async function tourAtSize(driver, prefix, width, height) {
  await driver.manage().window().setRect({ width, height }).catch(() => {})
  const pages = []
  for (const link of await driver.findElements(By.css('nav a[data-nav]'))) pages.push(await link.getAttribute('data-nav'))
  for (const page of pages) {
    await click(driver, `nav a[data-nav="${page}"]`)
    await visible(driver, 'main h1')
    // Let the page's reads settle, then look for a refusal anywhere on it.
    await sleep(400)
    const alerts = await driver.findElements(By.css('main [role="alert"]'))
    for (const alert of alerts) {
      const text = await alert.getText()
      assert.doesNotMatch(text, /permission denied|may not/i, `${prefix} on ${page}: ${text}`)
    }
    await screenshot(driver, `${prefix}-${page}-${width}.png`)
  }
  return pages
}

test('in the demo, the auditor reads everything and changes nothing; an employee sees only their pages', async () => {
  await withApp('demo-roles', async (driver) => {
    await click(driver, '#open-demo')
    await signIn(driver, 'auditor@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    const auditorPages = await tourAtSize(driver, 'auditor', 1366, 768)
    assert.ok(auditorPages.includes('documents') && auditorPages.includes('audit'), auditorPages.join(', '))
    assert.ok(!auditorPages.includes('approvals'), 'the auditor approves nothing')

    // The register lists the demo's sales invoices; the audit log verifies.
    await click(driver, 'nav a[data-nav="documents"]')
    await driver.wait(until.elementTextContains(await visible(driver, '#documents-table'), 'INV-000001'), WAIT_MS)
    await click(driver, 'nav a[data-nav="audit"]')
    await visible(driver, '#audit-table tr[data-seq]')
    await click(driver, '#audit-verify')
    const verified = await visible(driver, '#audit-verify-result')
    assert.equal(await verified.getAttribute('data-ok'), 'true')
    await screenshot(driver, 'auditor-audit-verified-1366.png')
    await tourAtSize(driver, 'auditor', 1920, 1080)
    await click(driver, '#logout')

    await driver.manage().window().setRect({ width: 1366, height: 768 }).catch(() => {})
    await signIn(driver, 'storekeeper@demo.test', 'hesabu-demo')
    await visible(driver, '#user-menu')
    const employeePages = await tourAtSize(driver, 'employee', 1366, 768)
    assert.deepEqual(employeePages, ['dashboard', 'approvals', 'sales', 'customers', 'items', 'receipts', 'settings-company'])
    await tourAtSize(driver, 'employee', 1920, 1080)
  })
})
