// Start-up and memory benchmark of the Hesabu window against the floor of its stack, a minimal
// Tauri window built with the same tauri / wry / webkit2gtk (bench/minimal-window). Run it through
// scripts/bench-desktop.sh, which builds both in release and gives this script an X server
// (Xvfb) and a private D-Bus session. Results go in docs/benchmarks.md.
//
// What is measured, per run, each app in a fresh process with a fresh data folder (the two apps
// alternate, so both see the same load on the machine):
//
// - start to interactive: from the WebDriver new-session request (tauri-driver has
//   WebKitWebDriver spawn the app binary inside that request; the delay from the request to
//   the process's own start time is reported too) to the first WebDriver poll that finds the
//   start screen's first control displayed: Hesabu's `#open-demo`, the minimal window's
//   `#ready`. Both pages show that control only after their script has run and made one IPC
//   round trip to the app (Hesabu: `start_info`; the minimal window: `ping`). Polls run back to
//   back (each is one WebDriver round trip, a few milliseconds), not on selenium's 200 ms timer.
//   It is split in two with the page's own clock (`performance.timeOrigin`, the epoch time the
//   page's navigation started): "native" is request → navigation start (the process, GTK, the
//   WebKit processes, the window), "page" is navigation start → interactive (loading the page,
//   running its script, the IPC round trip, the first render).
// - memory: PSS (and RSS, for reference) summed over the app process and every process below
//   it (WebKitWebProcess, WebKitNetworkProcess, ...), from /proc/PID/smaps_rollup, read after
//   `BENCH_SETTLE_MS` of quiet. Hesabu is read on the start screen, after opening the demo
//   company and signing in as its admin, after each page in the menu (visited as the E2E
//   test's tourAtSize does), and after the tour. The minimal window is read on its page.
//   PSS splits a shared page among the processes that map it, so another WebKit app running on
//   the machine (an E2E test, say) lowers both apps' PSS: a run that saw one is marked.
//
// Environment: BENCH_RUNS (default 5), BENCH_SETTLE_MS (2000), BENCH_HESABU_BIN and
// BENCH_MINIMAL_BIN (default target/release/...), BENCH_DRIVER_PORT / BENCH_NATIVE_PORT (4454 /
// 4455, apart from the E2E test's), BENCH_JSON (a path: also write every run's figures there),
// BENCH_SMAPS_DIR (a folder: also copy each process's /proc/PID/smaps there at the end of a run,
// to see what holds the memory), BENCH_HESABU_ENV / BENCH_MINIMAL_ENV (space-separated NAME=value
// pairs given to that app only, e.g. to try an allocator or WebKit setting on one side).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Builder, By, Key, until } from 'selenium-webdriver'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const runs = Number(process.env.BENCH_RUNS ?? 5)
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 2000)
const driverPort = Number(process.env.BENCH_DRIVER_PORT ?? 4454)
const nativePort = Number(process.env.BENCH_NATIVE_PORT ?? 4455)
const driverUrl = `http://127.0.0.1:${driverPort}/`
const WAIT_MS = 30_000
// /proc/PID/stat counts start times in clock ticks; USER_HZ is 100 on every Linux we run on.
const CLOCK_TICKS = 100

const apps = {
  hesabu: {
    name: 'Hesabu',
    binary: binary(process.env.BENCH_HESABU_BIN, 'target/release/hesabu-desktop'),
    env: pairs(process.env.BENCH_HESABU_ENV),
    marker: '#open-demo',
    tour: tourHesabu,
  },
  minimal: {
    name: 'minimal window',
    binary: binary(process.env.BENCH_MINIMAL_BIN, 'target/release/hesabu-minimal-window'),
    env: pairs(process.env.BENCH_MINIMAL_ENV),
    marker: '#ready',
    tour: null,
  },
}

function binary(given, fallback) {
  const file = path.resolve(repo, given ?? fallback)
  if (!existsSync(file)) throw new Error(`${file} does not exist: build it first (scripts/bench-desktop.sh does)`)
  return realpathSync(file)
}

/** "A=1 B=2" → { A: '1', B: '2' }. */
function pairs(text) {
  const env = {}
  for (const pair of (text ?? '').split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=')
    if (at < 1) throw new Error(`'${pair}' is not NAME=value`)
    env[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return env
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// ---------------------------------------------------------------------------------------------
// Processes and memory, from /proc.

/** Every process: pid → { pid, ppid, comm, start (clock ticks after boot) }. */
function processes() {
  const table = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // Gone since readdir.
    }
    // "pid (comm) state ppid ..." where comm may hold spaces and parentheses.
    const open = stat.indexOf('(')
    const close = stat.lastIndexOf(')')
    const rest = stat.slice(close + 2).split(' ')
    table.set(Number(entry), {
      pid: Number(entry),
      comm: stat.slice(open + 1, close),
      ppid: Number(rest[1]),
      state: rest[0],
      start: Number(rest[19]),
    })
  }
  return table
}

/** `root` and every process below it. */
function tree(table, root) {
  const found = [root]
  for (let i = 0; i < found.length; i++) {
    for (const p of table.values()) if (p.ppid === found[i]) found.push(p.pid)
  }
  return found
}

/** The process running `file` below `root` (tauri-driver → WebKitWebDriver → the app). */
function findApp(root, file) {
  const table = processes()
  for (const pid of tree(table, root)) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === file) return table.get(pid)
    } catch {
      // Not ours to read, or gone.
    }
  }
  return null
}

/**
 * PSS and RSS in KiB of `pid` and everything below it, in total and by process ("app" for the
 * app process itself, the others by name), and whether a WebKit process outside that tree was
 * running (which lowers PSS: see the top of this file).
 */
function memory(pid) {
  const table = processes()
  const ours = new Set(tree(table, pid))
  const total = { pss: 0, rss: 0 }
  const byName = {}
  for (const p of ours) {
    let rollup
    try {
      rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8')
    } catch {
      continue
    }
    const kib = (field) => Number(rollup.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0)
    const name = p === pid ? 'app' : (table.get(p)?.comm ?? String(p))
    const entry = (byName[name] ??= { pss: 0, rss: 0, count: 0 })
    entry.pss += kib('Pss')
    entry.rss += kib('Rss')
    entry.count += 1
    total.pss += kib('Pss')
    total.rss += kib('Rss')
  }
  const foreign = [...table.values()].some((p) => p.comm.startsWith('WebKitWebProces') && p.state !== 'Z' && !ours.has(p.pid))
  return { ...total, byName, foreign }
}

/** Copies /proc/PID/smaps of `pid` and everything below it into `dir`. */
function dumpSmaps(pid, dir, label) {
  const table = processes()
  for (const p of tree(table, pid)) {
    try {
      writeFileSync(path.join(dir, `${label}-${table.get(p)?.comm ?? p}-${p}.smaps`), readFileSync(`/proc/${p}/smaps`))
    } catch {
      // Gone.
    }
  }
}

/** Seconds since boot, as /proc/uptime gives it (centiseconds). */
function uptime() {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
}

// ---------------------------------------------------------------------------------------------
// tauri-driver, one per run so each run gets a fresh data folder (it passes its environment on).

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

async function startDriver(env) {
  for (const port of [driverPort, nativePort]) {
    // The previous run's WebKitWebDriver may take a moment to let go of its port.
    for (let tries = 0; await listening(port); tries++) {
      if (tries === 50) throw new Error(`port ${port} is in use: set BENCH_DRIVER_PORT / BENCH_NATIVE_PORT`)
      await sleep(100)
    }
  }
  const child = spawn('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  })
  let exited = null
  child.on('exit', (code, signal) => (exited = `tauri-driver exited (code ${code}, signal ${signal})`))
  child.on('error', (e) => (exited = `tauri-driver could not start: ${e.message} (cargo install tauri-driver --locked)`))
  child.stderr.on('data', () => {}) // Drained, not shown: WebKit is chatty under Xvfb.
  const deadline = Date.now() + WAIT_MS
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited)
    try {
      if ((await fetch(`${driverUrl}status`)).ok) return child
    } catch {
      // Not listening yet.
    }
    await sleep(50)
  }
  await stopDriver(child)
  throw new Error(`tauri-driver did not answer on ${driverUrl}status within ${WAIT_MS} ms`)
}

async function stopDriver(child) {
  const gone = child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    try {
      process.kill(-child.pid, signal) // Its process group: tauri-driver and WebKitWebDriver.
    } catch {
      // Already gone.
    }
    if (gone) await Promise.race([gone, sleep(5_000)])
  }
}

// ---------------------------------------------------------------------------------------------
// WebDriver helpers (as tests/e2e/desktop.test.mjs).

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

async function fill(driver, css, text) {
  const element = await visible(driver, css)
  await element.clear()
  if ((await element.getAttribute('value')) !== '') await element.sendKeys(Key.chord(Key.CONTROL, 'a'), Key.BACK_SPACE)
  await element.sendKeys(text)
}

/** Polls back to back until `css` is displayed; resolves with the epoch time it was seen. */
async function firstDisplayed(driver, css) {
  const deadline = Date.now() + WAIT_MS
  while (Date.now() < deadline) {
    const found = await driver.findElements(By.css(css))
    if (found.length > 0 && (await found[0].isDisplayed().catch(() => false))) return performance.timeOrigin + performance.now()
  }
  throw new Error(`${css} was not displayed within ${WAIT_MS} ms`)
}

/**
 * Opens the demo company as its admin and visits every page in the menu; returns the pages
 * visited and the memory after each step, to see which step grows it.
 */
async function tourHesabu(driver, pid) {
  const steps = []
  await click(driver, '#open-demo')
  await fill(driver, '#login-email', 'admin@demo.test')
  await fill(driver, '#login-password', 'hesabu-demo')
  await click(driver, '#login-submit')
  await visible(driver, '#user-menu')
  await sleep(400)
  steps.push({ page: 'demo opened, signed in', ...memory(pid) })
  const pages = []
  for (const link of await driver.findElements(By.css('nav a[data-nav]'))) pages.push(await link.getAttribute('data-nav'))
  for (const page of pages) {
    await click(driver, `nav a[data-nav="${page}"]`)
    await visible(driver, 'main h1')
    await sleep(400) // As the E2E tour: let the page's reads settle.
    steps.push({ page, ...memory(pid) })
  }
  return { pages, steps }
}

// ---------------------------------------------------------------------------------------------

async function measure(key) {
  const app = apps[key]
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `hesabu-bench-${key}-`))
  const driverProcess = await startDriver({ ...app.env, HESABU_DATA_DIR: dataDir })
  let driver
  try {
    const requestedAt = uptime()
    const t0 = performance.timeOrigin + performance.now()
    driver = await new Builder()
      .withCapabilities({ browserName: 'wry', 'tauri:options': { application: app.binary } })
      .usingServer(driverUrl)
      .build()
    const ready = await firstDisplayed(driver, app.marker)
    const navigationStart = await driver.executeScript('return performance.timeOrigin')
    const proc = findApp(driverProcess.pid, app.binary)
    if (!proc) throw new Error(`${app.binary} is not running below tauri-driver`)
    const result = {
      app: key,
      startMs: Math.round(ready - t0),
      nativeMs: Math.round(navigationStart - t0),
      spawnDelayMs: Math.round((proc.start / CLOCK_TICKS - requestedAt) * 1000),
    }
    await sleep(settleMs)
    result.startScreen = memory(proc.pid)
    if (app.tour) {
      const { pages, steps } = await app.tour(driver, proc.pid)
      result.pages = pages
      result.steps = steps
      await sleep(settleMs)
      result.afterTour = memory(proc.pid)
    }
    if (process.env.BENCH_SMAPS_DIR) dumpSmaps(proc.pid, process.env.BENCH_SMAPS_DIR, key)
    return result
  } finally {
    await driver?.quit().catch(() => {})
    await stopDriver(driverProcess)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2)
}

const mib = (kib) => (kib / 1024).toFixed(1)
const ratio = (a, b) => `${(a / b).toFixed(2)}×`

function report(results, load) {
  const h = results.hesabu
  const m = results.minimal
  const at = (list, f) => median(list.map(f))
  const final = (r) => r.afterTour ?? r.startScreen
  const hStart = at(h, (r) => r.startMs)
  const mStart = at(m, (r) => r.startMs)
  const hTour = at(h, (r) => r.afterTour.pss)
  const mIdle = at(m, (r) => r.startScreen.pss)
  const verdict = (value, floor) => (value <= floor * 1.5 ? 'yes' : '**no**')
  const row = (what, a, b, unit, target) =>
    console.log(`| ${what} | ${a} ${unit} | ${b} ${unit} | ${ratio(a, b)} | ${target ?? '–'} |`)

  console.log(
    `\nMedians of ${runs} runs each (load average ${load.map((l) => l.toFixed(2)).join(' → ')}; settle ${settleMs} ms; ` +
      `pages toured: ${h[0].pages.join(', ')}):\n`,
  )
  console.log('| what | Hesabu | minimal window | ratio | target ≤ 1.5× |')
  console.log('|---|---|---|---|---|')
  row('**start to interactive**', hStart, mStart, 'ms', verdict(hStart, mStart))
  row('of which native (request → navigation start)', at(h, (r) => r.nativeMs), at(m, (r) => r.nativeMs), 'ms')
  row('of which page (navigation start → interactive)', at(h, (r) => r.startMs - r.nativeMs), at(m, (r) => r.startMs - r.nativeMs), 'ms')
  console.log(`| **PSS, all processes, after the tour** (minimal: on its page) | ${mib(hTour)} MiB | ${mib(mIdle)} MiB | ${ratio(hTour, mIdle)} | ${verdict(hTour, mIdle)} |`)
  console.log(`| PSS on the start screen | ${mib(at(h, (r) => r.startScreen.pss))} MiB | ${mib(mIdle)} MiB | ${ratio(at(h, (r) => r.startScreen.pss), mIdle)} | – |`)
  const hRss = at(h, (r) => r.afterTour.rss)
  const mRss = at(m, (r) => r.startScreen.rss)
  console.log(`| RSS, all processes, after the tour (reference) | ${mib(hRss)} MiB | ${mib(mRss)} MiB | ${ratio(hRss, mRss)} | – |`)

  // By process: the medians of each one's PSS (so the rows need not add up to the total).
  const names = new Set([...h, ...m].flatMap((r) => Object.keys(final(r).byName)))
  console.log('\nPSS by process, median MiB ("app" is hesabu-desktop or hesabu-minimal-window itself):\n')
  console.log('| process | Hesabu, start screen | Hesabu, after the tour | minimal window |')
  console.log('|---|---|---|---|')
  for (const name of names) {
    const of = (list, pick) => mib(at(list, (r) => pick(r).byName[name]?.pss ?? 0))
    console.log(`| ${name} | ${of(h, (r) => r.startScreen)} | ${of(h, (r) => r.afterTour)} | ${of(m, (r) => r.startScreen)} |`)
  }

  console.log("\nHesabu's PSS along the tour (median MiB after each step, and the median growth of each step):\n")
  console.log('| step | PSS | growth | of which the app process | of which WebKitWebProcess |')
  console.log('|---|---|---|---|---|')
  const part = (r, i, name) => (i < 0 ? r.startScreen : r.steps[i]).byName[name]?.pss ?? 0
  for (let i = 0; i < h[0].steps.length; i++) {
    const growth = (name) => mib(at(h, (r) => part(r, i, name) - part(r, i - 1, name)))
    const total = (r, j) => (j < 0 ? r.startScreen : r.steps[j]).pss
    console.log(
      `| ${h[0].steps[i].page} | ${mib(at(h, (r) => r.steps[i].pss))} | ${mib(at(h, (r) => total(r, i) - total(r, i - 1)))} | ` +
        `${growth('app')} | ${growth('WebKitWebProces')} |`,
    )
  }
  console.log(`\n(The app process started a median ${at([...h, ...m], (r) => r.spawnDelayMs)} ms after the new-session request; /proc gives 10 ms steps.)`)
  const shared = [...h, ...m].filter((r) => r.startScreen.foreign || r.afterTour?.foreign || r.steps?.some((s) => s.foreign)).length
  if (shared > 0) console.log(`**Warning: in ${shared} of ${2 * runs} runs another WebKit process was running, which lowers PSS; run again on a quiet machine.**`)
}

async function main() {
  const results = { hesabu: [], minimal: [] }
  const load = [os.loadavg()[0]]
  for (let i = 1; i <= runs; i++) {
    for (const key of ['hesabu', 'minimal']) {
      const r = await measure(key)
      results[key].push(r)
      console.error(
        `run ${i}/${runs} ${apps[key].name}: start ${r.startMs} ms (native ${r.nativeMs} ms), ` +
          `PSS ${mib(r.startScreen.pss)} MiB on the start screen` +
          (r.afterTour ? `, ${mib(r.afterTour.pss)} MiB after ${r.pages.length} pages` : '') +
          (r.startScreen.foreign || r.afterTour?.foreign ? ' (another WebKit process was running)' : ''),
      )
    }
  }
  load.push(os.loadavg()[0])
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ runs, settleMs, load, results }, null, 2))
  report(results, load)
}

await main()
