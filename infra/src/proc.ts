import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { join } from 'node:path'
import { spawn } from 'node:child_process'

// Process handling for the local stack: each component runs detached in its own process group
// (so `make up` can return and `make down` can stop it together with any children), logs to
// one file, and is tracked by a pid file in the state folder.

export function pidFile (stateDir: string, name: string): string {
  return join(stateDir, 'pids', `${name}.pid`)
}

export function logFile (stateDir: string, name: string): string {
  return join(stateDir, 'logs', `${name}.log`)
}

export function spawnDetached (stateDir: string, name: string, command: string, args: string[], options: { cwd?: string, env?: NodeJS.ProcessEnv } = {}): number {
  mkdirSync(join(stateDir, 'logs'), { recursive: true })
  mkdirSync(join(stateDir, 'pids'), { recursive: true })
  const out = openSync(logFile(stateDir, name), 'a')
  // Node's own spawn: a detached daemon needs nothing more, and its process group outlives this process.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', out, out]
  })
  closeSync(out)
  const pid = child.pid
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`)
  child.unref()
  writeFileSync(pidFile(stateDir, name), String(pid))
  return pid
}

export function readPid (stateDir: string, name: string): number | undefined {
  const file = pidFile(stateDir, name)
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function groupAlive (pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** SIGTERM the whole process group, wait for it to go, SIGKILL what remains. */
export async function stopGroup (pgid: number, graceMs = 15_000): Promise<'stopped' | 'killed' | 'absent'> {
  if (!groupAlive(pgid)) return 'absent'
  try { process.kill(-pgid, 'SIGTERM') } catch {}
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return 'stopped'
    await sleep(100)
  }
  try { process.kill(-pgid, 'SIGKILL') } catch {}
  while (groupAlive(pgid)) await sleep(50)
  return 'killed'
}

export function removePid (stateDir: string, name: string): void {
  rmSync(pidFile(stateDir, name), { force: true })
}

export function tailLog (stateDir: string, name: string, lines = 25): string {
  const file = logFile(stateDir, name)
  if (!existsSync(file)) return '(no log file)'
  const size = statSync(file).size
  const text = readFileSync(file, 'utf8').slice(size > 200_000 ? -200_000 : 0)
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/** True when something accepts TCP connections on localhost:port. */
export function portInUse (port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createConnection({ port, host })
    socket.setTimeout(1000)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(false))
  })
}

export class PortTakenError extends Error {
  code = 'SHOP_ERR_PORT_TAKEN'
  constructor (readonly port: number, readonly component: string) {
    super(`port ${port} is already in use, so ${component} cannot start there. Stop what listens on it (for example: make down, or lsof -i :${port}) or choose another port in .env.`)
  }
}

export { sleep }

/** A port nothing listens on right now, for a process a test or benchmark starts beside the shared stack. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}
