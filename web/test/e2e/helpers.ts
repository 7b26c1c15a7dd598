import { after, before } from 'node:test'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { build, preview } from 'vite'
import type { PreviewServer } from 'vite'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import assert from 'node:assert/strict'
import { TEST_AUTH, deleteTestTopics, serviceEnv, startControlApi, startExerciseShop, testEnv, testInstructorHeaders } from '@vitrine/infra/testing'
import type { ControlApi, ExerciseShop, ExerciseShopOptions, TestEnv } from '@vitrine/infra/testing'
import { GatewayConfig, app as gatewayApp } from '@vitrine/gateway'
import type { GatewayConfigType } from '@vitrine/gateway'
import { gatewayProxy } from '../../vite.config.ts'

export { deleteTestSubjects } from '@vitrine/infra/testing'

// What a browser test needs, started by the test itself and stopped after it: the gateway (on a
// free port, on the test's own topics), the web app (built with vite, served by `vite preview`
// with /api and /socket.io proxied to that gateway), and Debian's headless Chromium.

export const WEB_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const ROOT = resolve(WEB_DIR, '..')
export const ARTIFACTS = join(ROOT, 'test-artifacts')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

export function hasChromium (): boolean {
  return existsSync(CHROMIUM)
}

/** CI=true (or any value but false/0), as CI services set it. */
export function inCI (): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
}

/**
 * The `skip` of a browser suite: why it cannot run here (no chromium, or `missing`), or false.
 * Under CI nothing is a reason to skip: the file fails at once with the reason, so CI never passes
 * by skipping the browser tests.
 */
export function skipUnlessRunnable (missing: string | false = false): string | false {
  const reason = !hasChromium() ? `chromium is not installed at ${CHROMIUM} (make browser installs it, or set CHROMIUM_PATH)` : missing
  if (reason && inCI()) throw new Error(`CI=${process.env.CI}: the browser suite cannot be skipped: ${reason}`)
  return reason
}

export function sagaServicesExist (): boolean {
  return existsSync(join(ROOT, 'services/checkout-api/src/app.ts'))
}

export function orchestratorExists (): boolean {
  return existsSync(join(ROOT, 'services/orchestrator/src/app.ts'))
}

/** Builds the web app into a temporary folder (removed by the returned function). */
/**
 * The web app built by vite. Under `vitrine-test` (VITRINE_TEST_RUN_DIR, removed when the run ends) the
 * first file builds it and the others serve that build: a build costs tens of seconds, the same for
 * every file of a run. Alone (node --test one file), each call builds its own copy.
 */
export async function buildWeb (): Promise<{ outDir: string, remove: () => void }> {
  const runDir = process.env.VITRINE_TEST_RUN_DIR
  if (runDir !== undefined && runDir !== '') {
    const shared = join(runDir, 'web-dist')
    if (!existsSync(join(shared, 'index.html'))) {
      // Built aside and renamed into place: a build stopped half-way is never taken for a finished one.
      const partial = mkdtempSync(join(runDir, 'web-build-'))
      await build({ root: WEB_DIR, logLevel: 'warn', build: { outDir: partial, emptyOutDir: true, sourcemap: false } })
      renameSync(partial, shared)
    }
    return { outDir: shared, remove: () => {} }
  }
  const outDir = mkdtempSync(join(tmpdir(), 'vitrine-web-'))
  await build({ root: WEB_DIR, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } })
  return { outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) }
}

export async function serveWeb (outDir: string, gatewayUrl: string): Promise<{ url: string, server: PreviewServer }> {
  const server = await preview({
    root: WEB_DIR,
    configFile: false,
    // The proxy reports each WebSocket a closing browser drops; nothing a test needs to read.
    logLevel: 'silent',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false, proxy: gatewayProxy(gatewayUrl) }
  })
  const port = (server.httpServer.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}`, server }
}

export interface Gateway { app: Awaited<ReturnType<typeof buildApp>>, url: string, port: number, config: GatewayConfigType }

export async function startGateway (env: TestEnv, extra: Record<string, string | number> = {}, port = 0): Promise<Gateway> {
  const config = loadConfig(GatewayConfig, serviceEnv(env, { PORT: port, HOST: '127.0.0.1', ...extra }))
  const app = await buildApp('gateway', gatewayApp, config)
  await app.listen({ port, host: '127.0.0.1' })
  const actual = (app.server.address() as AddressInfo).port
  return { app, url: `http://127.0.0.1:${actual}`, port: actual, config }
}

export async function launch (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

export interface BrowserSuite {
  gateway: Gateway
  /** The web app, built into `outDir` (removed by close) and served by `vite preview` in front of the gateway. */
  web: { url: string, server: PreviewServer, outDir: string }
  browser: Browser
  /** Stops Chromium, the web app and the gateway, in that order. */
  close: () => Promise<void>
}

export interface BrowserSuiteOptions {
  /** The gateway's variables beyond the test's topics (serviceEnv), e.g. the services' URLs. */
  gatewayEnv?: Record<string, string | number>
  /** The gateway's port, when something must know it before it starts (e.g. Prometheus's targets); 0: any. */
  gatewayPort?: number
}

/**
 * What every browser test starts in before(): the gateway on the test's topics, the web app served in
 * front of it, and Chromium; `{ web: false }` for a page the gateway serves itself. Set-up that fails
 * half-way stops what it had started.
 */
export async function startBrowserSuite (env: TestEnv, options?: BrowserSuiteOptions & { web?: true }): Promise<BrowserSuite>
export async function startBrowserSuite (env: TestEnv, options: BrowserSuiteOptions & { web: false }): Promise<Omit<BrowserSuite, 'web'>>
export async function startBrowserSuite (env: TestEnv, options: BrowserSuiteOptions & { web?: boolean } = {}): Promise<Omit<BrowserSuite, 'web'> & Partial<Pick<BrowserSuite, 'web'>>> {
  let gateway: Gateway | undefined
  let built: Awaited<ReturnType<typeof buildWeb>> | undefined
  let web: BrowserSuite['web'] | undefined
  let browser: Browser | undefined
  const close = async (): Promise<void> => {
    await browser?.close()
    await web?.server.close()
    built?.remove()
    await gateway?.app.close()
  }
  try {
    gateway = await startGateway(env, options.gatewayEnv, options.gatewayPort)
    if (options.web !== false) {
      built = await buildWeb()
      web = { ...await serveWeb(built.outDir, gateway.url), outDir: built.outDir }
    }
    browser = await launch()
    return { gateway, ...(web ? { web } : {}), browser, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}

export interface LabSuite {
  /** Why the file cannot run here, or false (skipUnlessRunnable): each test's `skip`. */
  skip: string | false
  /** The file's own topic prefix, group suffix and schema suffix; set in before(). */
  env: TestEnv
  /** The gateway on those topics, the web app in front of it and Chromium; set in before(). */
  ui: BrowserSuite
}

/**
 * What a page's e2e file that needs only the gateway on its own topics (each lab-*.test.ts, the
 * replay's) sets up around its tests: before(), its own test env, `prepare` (what the page needs
 * first, e.g. a subject to copy), then the browser suite; after(), `cleanup` (what the lab made
 * outside the file's prefix, while the gateway still runs), the suite, then every topic, group and
 * subject under the file's prefix, also after a failure.
 */
export function labSuite (o: BrowserSuiteOptions & { prepare?: (env: TestEnv) => Promise<void>, cleanup?: (lab: LabSuite) => Promise<void> } = {}): LabSuite {
  const lab = { skip: skipUnlessRunnable() } as LabSuite
  before(async () => {
    if (lab.skip) return
    lab.env = testEnv()
    await o.prepare?.(lab.env)
    lab.ui = await startBrowserSuite(lab.env, o)
  })
  after(async () => {
    if (lab.env === undefined) return
    try {
      if (lab.ui !== undefined) await o.cleanup?.(lab)
    } finally {
      await lab.ui?.close()
      await deleteTestTopics(lab.env)
    }
  })
  return lab
}

/** A page that fails the test on any uncaught error in the app. */
export async function openPage (browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('pageerror', err => errors.push(err.message))
  // A run with HTTP_AUTH=jwt (issue 16's rollout): the page starts signed in as the instructor, with the
  // key serviceEnv gave the test's gateway (web/src/lib/auth.svelte.ts reads this session).
  if (TEST_AUTH.HTTP_AUTH === 'jwt') {
    const session = { token: testInstructorHeaders().authorization!.slice('Bearer '.length), role: 'instructor', sub: 'instructor', expiresAt: new Date(Date.now() + 3600_000).toISOString() }
    await page.addInitScript(s => { sessionStorage.setItem('vitrine.session', s) }, JSON.stringify(session))
  }
  return page
}

export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/**
 * Runs `body` on a fresh page and closes it. A failure keeps a `<name>-falha` screenshot for the
 * report; a body that passes must also leave no uncaught error in the app.
 */
export async function onPage (browser: Browser, name: string, body: (page: Page) => Promise<void>): Promise<void> {
  const errors: string[] = []
  const page = await openPage(browser, errors)
  try {
    await body(page)
    assert.deepEqual(errors, [])
  } catch (err) {
    await screenshot(page, `${name}-falha`).catch(() => undefined)
    throw err
  } finally {
    await page.close()
  }
}

export interface ControlledSuite {
  shop: ExerciseShop
  control: ControlApi
  ui: BrowserSuite
  /** Stops the browser suite, the control plane's API and the shop, in that order. */
  close: () => Promise<void>
}

/**
 * For the pages that drive the control plane (Exercícios, Caos): a private shop (its own topics,
 * groups and schemas), the control plane's API over it, and the browser suite whose gateway asks
 * that plane. Set-up that fails half-way stops what it had started.
 */
export async function startControlledSuite (o: { shop?: ExerciseShopOptions, control?: Parameters<typeof startControlApi>[1], gatewayEnv?: Record<string, string | number> } = {}): Promise<ControlledSuite> {
  let shop: ExerciseShop | undefined
  let control: ControlApi | undefined
  let ui: BrowserSuite | undefined
  const close = async (): Promise<void> => {
    await ui?.close()
    await control?.close()
    await shop?.close()
  }
  try {
    shop = await startExerciseShop(o.shop)
    control = await startControlApi(shop.plane, o.control)
    ui = await startBrowserSuite(shop.env, { gatewayEnv: { CONTROL_URL: control.url, ...o.gatewayEnv } })
    return { shop, control, ui, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}
