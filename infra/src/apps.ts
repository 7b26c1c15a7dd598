import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StackSettings } from './settings.ts'
import { ROOT, bootstrapServers, databaseUrl, registryUrl } from './settings.ts'
import { PortTakenError, isAlive, portInUse, readPid, sleep, spawnDetached, tailLog } from './proc.ts'
import { ComponentDiedError } from './stack.ts'
import { step } from './steps.ts'

// Vitrine's own processes for `make demo`: the services and the web UI, started after the stack,
// each detached with a log and a pid file like the stack's components, so `make down` stops them too.

export interface AppComponent { name: string, port: number, url: string, command: string, args: string[], cwd: string }

const TSX = join(ROOT, 'node_modules/.bin/tsx')

const SERVICES: Array<[string, number]> = [
  ['inventory', 3003],
  ['payment', 3002],
  ['notification', 3004],
  ['orchestrator', 3005],
  ['checkout-api', 3001],
  ['gateway', 3010]
]

export function apps (): AppComponent[] {
  const list: AppComponent[] = []
  for (const [name, port] of SERVICES) {
    const dir = join(ROOT, 'services', name)
    if (!existsSync(join(dir, 'src/server.ts'))) continue
    list.push({ name, port, url: `http://localhost:${port}`, command: TSX, args: ['src/server.ts'], cwd: dir })
  }
  const web = join(ROOT, 'web')
  const pkg = existsSync(join(web, 'package.json')) ? JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')) as { scripts?: Record<string, string> } : undefined
  if (pkg?.scripts?.start) list.push({ name: 'web', port: 3000, url: 'http://localhost:3000', command: 'pnpm', args: ['run', '--silent', 'start'], cwd: web })
  return list
}

export function appNames (): string[] {
  return apps().map(a => a.name).reverse()
}

/** Every service reads the same variables; these point them at the local stack unless the user set them. */
export function appEnv (s: StackSettings, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? bootstrapServers(s),
    SCHEMA_REGISTRY_URL: registryUrl(s),
    DATABASE_URL: databaseUrl(s),
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16',
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    ...extra
  }
}

async function ready (a: AppComponent): Promise<boolean> {
  try {
    const res = await fetch(a.name === 'web' ? a.url : `${a.url}/health`, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

export async function startApps (s: StackSettings, env: Record<string, string> = {}): Promise<AppComponent[]> {
  const list = apps()
  for (const a of list) {
    const pid = readPid(s.stateDir, a.name)
    if (pid !== undefined && isAlive(pid)) continue
    if (await portInUse(a.port)) throw new PortTakenError(a.port, a.name)
  }
  for (const a of list) {
    const running = readPid(s.stateDir, a.name)
    if (running !== undefined && isAlive(running) && await ready(a)) continue
    await step(`Iniciando ${a.name} (${a.url})`, async () => {
      const pid = spawnDetached(s.stateDir, a.name, a.command, a.args, { cwd: a.cwd, env: appEnv(s, { PORT: String(a.port), ...env }) })
      const deadline = Date.now() + (a.name === 'web' ? 180_000 : 90_000)
      while (Date.now() < deadline) {
        if (await ready(a)) return
        if (!isAlive(pid)) throw new ComponentDiedError(`${a.name} exited during start-up. Last lines of its log (${join(s.stateDir, 'logs', a.name + '.log')}):\n${tailLog(s.stateDir, a.name)}`)
        await sleep(500)
      }
      throw new ComponentDiedError(`${a.name} was not ready in time. Last lines of its log:\n${tailLog(s.stateDir, a.name)}`)
    })
  }
  return list
}
