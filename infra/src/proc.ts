import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { join, relative } from 'node:path'
import { spawn } from 'node:child_process'
import { sleep } from '@vitrine/service-kit/time'
import { info } from './steps.ts'

// Process handling for the local stack: each component runs detached in its own process group
// (so `make up` can return and `make down` can stop it together with any children), logs to
// one file, and is tracked by a pid file in the state folder.

export function pidFile (stateDir: string, name: string): string {
  return join(stateDir, 'pids', `${name}.pid`)
}

export function logFile (stateDir: string, name: string): string {
  return join(stateDir, 'logs', `${name}.log`)
}

/**
 * A TypeScript program run by Node itself with tsx's loader in the same process. The tsx binary
 * would start the program as its child, so the pid we record (and a runbook's kill -9) would hit
 * only the wrapper while the program kept serving.
 */
export const TSX_LOADER = import.meta.resolve('tsx')
export function nodeTs (file: string, args: string[] = []): { command: string, args: string[] } {
  return { command: process.execPath, args: ['--import', TSX_LOADER, file, ...args] }
}

// What this process started, in order, so a failed start can stop exactly that and nothing that ran before.
interface Started { stateDir: string, name: string, pid: number }
const startedHere: Started[] = []

/** A mark in the list of processes started by this process; pass it to stopStartedSince on failure. */
export function startMark (): number {
  return startedHere.length
}

/**
 * Stops, newest first, what this process started after `mark` (by spawnDetached) and is still the
 * process its pid file names. `make up`, `make demo` and `make test` call it when a step fails.
 */
export async function stopStartedSince (mark: number): Promise<string[]> {
  const stopped: string[] = []
  for (const p of startedHere.splice(mark).reverse()) {
    if (readPid(p.stateDir, p.name) !== p.pid) continue
    const how = await stopGroup(p.pid, p.name.startsWith('kafka') ? 30_000 : 10_000, stopSignal(p.name))
    removePid(p.stateDir, p.name)
    if (how !== 'absent') stopped.push(p.name)
  }
  return stopped
}

/**
 * Runs `fn`; if it throws, stops what was started during it (by spawnDetached), says so, and
 * rethrows. `make up` runs in one; `make demo` wraps its whole start (stack, services, UI) in one.
 */
export async function rollbackOnFailure<T> (fn: () => Promise<T>, say: (line: string) => void = info): Promise<T> {
  const mark = startMark()
  try {
    return await fn()
  } catch (err) {
    const stopped = await stopStartedSince(mark)
    if (stopped.length > 0) say(`parado o que esta tentativa iniciou: ${stopped.join(', ')}`)
    throw err
  }
}

/** PostgreSQL's fast shutdown is SIGINT (SIGTERM would wait for every client to disconnect). */
export function stopSignal (name: string): NodeJS.Signals {
  return name === 'postgres' ? 'SIGINT' : 'SIGTERM'
}

export interface SpawnOptions { cwd?: string, env?: NodeJS.ProcessEnv, uid?: number, gid?: number }

export function spawnDetached (stateDir: string, name: string, command: string, args: string[], options: SpawnOptions = {}): number {
  mkdirSync(join(stateDir, 'logs'), { recursive: true })
  mkdirSync(join(stateDir, 'pids'), { recursive: true })
  const out = openSync(logFile(stateDir, name), 'a')
  // Node's own spawn: a detached daemon needs nothing more, and its process group outlives this process.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', out, out],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {})
  })
  closeSync(out)
  const pid = child.pid
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`)
  child.unref()
  writeFileSync(pidFile(stateDir, name), String(pid))
  startedHere.push({ stateDir, name, pid })
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

/** SIGTERM the whole process group, wait for it to go, SIGKILL what remains. */
export async function stopGroup (pgid: number, graceMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<'stopped' | 'killed' | 'absent'> {
  if (!groupAlive(pgid)) return 'absent'
  try { process.kill(-pgid, signal) } catch {}
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

/** SIGTERM one process, wait for it to go, SIGKILL it if it does not. */
export async function stopPid (pid: number, graceMs = 10_000): Promise<'stopped' | 'killed' | 'absent'> {
  if (!isAlive(pid)) return 'absent'
  try { process.kill(pid, 'SIGTERM') } catch {}
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid) || zombie(pid)) return 'stopped'
    await sleep(100)
  }
  try { process.kill(pid, 'SIGKILL') } catch {}
  while (isAlive(pid) && !zombie(pid)) await sleep(50)
  return 'killed'
}

function zombie (pid: number): boolean {
  return procStat(pid)?.state === 'Z'
}

/** Alive and not a zombie waiting to be reaped (where /proc exists; elsewhere, alive). */
export function isRunning (pid: number): boolean {
  if (!existsSync('/proc')) return isAlive(pid)
  const stat = procStat(pid)
  return stat !== undefined && stat.state !== 'Z'
}

/** A process's state (R, S, Z ...), parent and process group, from /proc/<pid>/stat; undefined when it is gone. */
export function procStat (pid: number): { pid: number, ppid: number, pgid: number, state: string } | undefined {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state, ppid, pgid] = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { pid, ppid: Number(ppid), pgid: Number(pgid), state: state! }
  } catch {
    return undefined
  }
}

/** A path as short as it can be shown in a message: relative to where the command runs, when inside it. */
export function shownPath (path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' || rel.startsWith('..') ? path : rel
}

/**
 * The pids of the processes listening on each of these TCP ports, read from /proc (Linux). A port
 * missing from the map has no listener we can see: none, or one that /proc hides from us.
 */
export function listeners (ports: number[]): Map<number, number[]> {
  const found = new Map<number, number[]>()
  if (!existsSync('/proc/net/tcp')) return found
  const wanted = new Set(ports)
  const inodes = new Map<string, number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = readFileSync(table, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, field 9 the socket's inode.
      if (f.length < 10 || f[3] !== '0A') continue
      const port = parseInt(f[1]!.split(':')[1]!, 16)
      if (wanted.has(port)) inodes.set(f[9]!, port)
    }
  }
  if (inodes.size === 0) return found
  for (const dir of readdirSync('/proc')) {
    if (!/^\d+$/.test(dir)) continue
    let fds: string[]
    try { fds = readdirSync(`/proc/${dir}/fd`) } catch { continue }
    for (const fd of fds) {
      let link: string
      try { link = readlinkSync(`/proc/${dir}/fd/${fd}`) } catch { continue }
      const m = /^socket:\[(\d+)\]$/.exec(link)
      const port = m ? inodes.get(m[1]!) : undefined
      if (port === undefined) continue
      const pids = found.get(port) ?? []
      if (!pids.includes(Number(dir))) pids.push(Number(dir))
      found.set(port, pids)
    }
  }
  return found
}

/** A process's command line, from /proc (empty where hidden). */
export function commandLine (pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return []
  }
}

function parentOf (pid: number): number | undefined {
  return procStat(pid)?.ppid
}

/** This process and its ancestors: never "a leftover of ours", whatever their command line says. */
function selfAndAncestors (): Set<number> {
  const chain = new Set<number>()
  for (let pid: number | undefined = process.pid; pid !== undefined && pid > 1 && !chain.has(pid); pid = parentOf(pid)) chain.add(pid)
  return chain
}

/**
 * True when the process's command line names one of these folders (the project, its state
 * folder ...): our brokers, registry, PostgreSQL, services and UI all run a program or a
 * classpath from there. The calling process and its parents never count.
 */
export function isOurs (pid: number, roots: string[]): boolean {
  if (selfAndAncestors().has(pid)) return false
  const inside = (text: string): boolean => roots.some(root => {
    let at = text.indexOf(root)
    while (at >= 0) {
      const next = text[at + root.length]
      if (next === undefined || next === '/' || next === ':' || next === ' ') return true
      at = text.indexOf(root, at + 1)
    }
    return false
  })
  return commandLine(pid).some(inside)
}

/** A short description of a process for a message: its pid and command. */
export function describeProcess (pid: number): string {
  // Whitespace folded: an argument may hold newlines (node -e '...'), and the message is one line.
  const cmd = commandLine(pid).map(a => a.replace(/\s+/g, ' ').trim()).map(a => a.length > 60 ? a.slice(0, 57) + '...' : a).slice(0, 4).join(' ')
  return cmd ? `pid ${pid} (${cmd})` : `pid ${pid}`
}

export class PortTakenError extends Error {
  code = 'SHOP_ERR_PORT_TAKEN'
  /** `holder`: the process on the port, when it is known not to be ours. */
  constructor (readonly port: number, readonly component: string, holder?: string) {
    super(holder
      ? `A porta ${port} está ocupada por ${holder}, que não é deste projeto, então ${component} não pode subir nela: pare esse programa ou escolha outra porta no .env.`
      : `A porta ${port} está ocupada, então ${component} não pode subir nela: veja quem a usa com \`lsof -i :${port}\` e pare-o (se for da Vitrine, \`make down\`), ou escolha outra porta no .env.`)
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
