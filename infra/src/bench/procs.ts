import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

// What each process of the run costs, read from /proc (Linux): resident memory sampled while the
// load runs (VmHWM alone would also count a long-lived broker's peak from before this run), and
// CPU time between two snapshots, so a figure that falls short can name the process that saturates.

export interface ProcInfo { pid: number, ppid: number, comm: string, ticks: number }

/** Fields of /proc/<pid>/stat; the command name is in parentheses and may itself hold spaces. */
export function parseStat (pid: number, text: string): ProcInfo | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const rest = text.slice(close + 2).split(' ')
  // After the name: state, ppid, ... utime is the 14th field of the line and stime the 15th.
  const ppid = Number(rest[1])
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  if (![ppid, utime, stime].every(Number.isFinite)) return undefined
  return { pid, ppid, comm: text.slice(open + 1, close), ticks: utime + stime }
}

/** VmRSS and VmHWM of /proc/<pid>/status, in kB. */
export function parseStatus (text: string): { rssKb: number, hwmKb: number } {
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function parseMachineStat (text: string): { busy: number, total: number } {
  const fields = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = fields.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0)
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0)
  return { busy: total - idle, total }
}

function read (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

export function processTable (): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    const text = read(`/proc/${pid}/stat`)
    const info = text === undefined ? undefined : parseStat(pid, text)
    if (info) table.set(pid, info)
  }
  return table
}

/** `root` and everything started under it. */
export function processTree (root: number, table: Map<number, ProcInfo>): ProcInfo[] {
  const children = new Map<number, number[]>()
  for (const p of table.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid])
  const out: ProcInfo[] = []
  const todo = [root]
  while (todo.length > 0) {
    const pid = todo.pop()!
    const info = table.get(pid)
    if (!info) continue
    out.push(info)
    todo.push(...(children.get(pid) ?? []))
  }
  return out
}

let hz: number | undefined
/** Kernel clock ticks per second, the unit of the CPU times in /proc. */
export function clockTicks (): number {
  if (hz === undefined) {
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      hz = 100
    }
  }
  return hz
}

export interface Watched {
  name: string
  pid: number
  /** Only processes of the tree with this command name (PostgreSQL under its small Node host). */
  comm?: string
  /** false: the process alone, not what it started (the benchmark itself starts the services). */
  tree?: boolean
}

export interface CpuSnapshot { at: number, machine: { busy: number, total: number }, ticks: Map<string, number> }

export interface CpuUse {
  seconds: number
  /** Cores each watched process kept busy on average (1 = one core all the time). */
  cores: Record<string, number>
  machineCores: number
  /** Busy cores not explained by the watched processes: other people's work on a shared machine. */
  otherCores: number
  machineBusyShare: number
}

export interface MemoryPeak {
  /** Sum of VmRSS over the tree: memory shared between its processes is counted in each. */
  peakRssMb: number
  /** Sum of Pss (smaps_rollup): shared pages split between the processes that map them. */
  peakPssMb: number
  processes: number
}

/** Pss of /proc/<pid>/smaps_rollup in kB, or undefined where the kernel does not offer it. */
export function parsePss (text: string): number | undefined {
  const m = /^Pss:\s+(\d+) kB/m.exec(text)
  return m ? Number(m[1]) : undefined
}

/**
 * Samples the resident memory of each watched process tree every `everyMs` and keeps the peak of
 * its sums (RSS as `top` shows it, and PSS, which counts PostgreSQL's shared buffers once rather
 * than in every backend); takes CPU snapshots on request.
 */
export class ResourceMonitor {
  private readonly watched = new Map<string, Watched>()
  private readonly peaks = new Map<string, MemoryPeak>()
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly everyMs = 500) {}

  watch (w: Watched): void {
    this.watched.set(w.name, w)
  }

  unwatch (name: string): void {
    this.watched.delete(name)
  }

  start (): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), this.everyMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.sample()
  }

  private members (w: Watched, table: Map<number, ProcInfo>): ProcInfo[] {
    const self = table.get(w.pid)
    const tree = w.tree === false ? (self ? [self] : []) : processTree(w.pid, table)
    return w.comm ? tree.filter(p => p.comm === w.comm) : tree
  }

  sample (): void {
    const table = processTable()
    for (const w of this.watched.values()) {
      const members = this.members(w, table)
      if (members.length === 0) continue
      let rss = 0
      let pss = 0
      for (const p of members) {
        const r = parseStatus(read(`/proc/${p.pid}/status`) ?? '').rssKb
        rss += r
        pss += parsePss(read(`/proc/${p.pid}/smaps_rollup`) ?? '') ?? r
      }
      const prev = this.peaks.get(w.name) ?? { peakRssMb: 0, peakPssMb: 0, processes: 0 }
      this.peaks.set(w.name, {
        peakRssMb: Math.max(prev.peakRssMb, rss / 1024),
        peakPssMb: Math.max(prev.peakPssMb, pss / 1024),
        processes: Math.max(prev.processes, members.length)
      })
    }
  }

  memory (): Record<string, MemoryPeak> {
    const r = (n: number): number => Math.round(n * 10) / 10
    return Object.fromEntries([...this.peaks.entries()].map(([k, v]) => [k, { peakRssMb: r(v.peakRssMb), peakPssMb: r(v.peakPssMb), processes: v.processes }]))
  }

  cpuSnapshot (): CpuSnapshot {
    const table = processTable()
    const ticks = new Map<string, number>()
    for (const w of this.watched.values()) ticks.set(w.name, this.members(w, table).reduce((a, p) => a + p.ticks, 0))
    return { at: Date.now(), machine: parseMachineStat(read('/proc/stat') ?? ''), ticks }
  }
}

/** CPU used between two snapshots, in cores. A process that started or ended in between is left out. */
export function cpuBetween (a: CpuSnapshot, b: CpuSnapshot, cores: number): CpuUse {
  const seconds = Math.max(0.001, (b.at - a.at) / 1000)
  const perSecond = clockTicks() * seconds
  const use: Record<string, number> = {}
  for (const [name, end] of b.ticks) {
    const start = a.ticks.get(name)
    if (start !== undefined && end >= start) use[name] = Math.round(((end - start) / perSecond) * 100) / 100
  }
  const total = b.machine.total - a.machine.total
  const busyShare = total > 0 ? (b.machine.busy - a.machine.busy) / total : 0
  const machineCores = Math.round(busyShare * cores * 100) / 100
  const ours = Object.values(use).reduce((x, y) => x + y, 0)
  return { seconds, cores: use, machineCores, otherCores: Math.max(0, Math.round((machineCores - ours) * 100) / 100), machineBusyShare: Math.round(busyShare * 1000) / 1000 }
}
