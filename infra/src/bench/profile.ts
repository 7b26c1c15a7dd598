import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../settings.ts'

// Where a process's CPU time went, from a V8 profile (`node --cpu-prof`): self time summed by code
// owner (a package in node_modules, Node's internals, our own folders, the garbage collector) and by
// function. Used with `make bench BENCH_ARGS=--profile` to explain a figure that falls short.

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

/** A span of CLOCK_MONOTONIC in microseconds: V8 stamps its samples on that clock, as process.hrtime does. */
export interface Window { fromUs: number, toUs: number }

export function monotonicUs (): number {
  return Number(process.hrtime.bigint() / 1000n)
}

export interface Share { name: string, ms: number, share: number }
export interface ProfileSummary { busyMs: number, idleMs: number, owners: Share[], functions: Share[] }

/** tsx hands some compiled modules to V8 as data: URLs that name the source file inside. */
export function fileOf (url: string): string {
  if (!url.startsWith('data:')) return url.replace(/^file:\/\//, '')
  let text = url
  try {
    text = decodeURIComponent(url)
  } catch {}
  return /__filename="([^"]+)"/.exec(text)?.[1] ?? 'data:'
}

/** Who owns the code at `url`: a package name, node's internals, or a folder of this repository. */
export function ownerOf (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(nativo)'
  if (url.startsWith('node:')) return 'node (internos)'
  if (url.startsWith('wasm:')) return '(wasm)'
  const path = fileOf(url)
  const at = path.lastIndexOf('/node_modules/')
  if (at >= 0) {
    const parts = path.slice(at + '/node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  if (path.startsWith(ROOT + '/')) return path.slice(ROOT.length + 1).split('/').slice(0, 2).join('/')
  return path
}

/** Self time by owner and by function; only the samples inside `window` when one is given (start-up left out). */
export function summarizeProfile (profile: CpuProfile, top = 8, window?: Window): ProfileSummary {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  let at = profile.startTime
  // Each sample's time is the gap until the next one.
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    if (window && (at < window.fromUs || at > window.toUs)) continue
    const us = profile.timeDeltas[i + 1] ?? 0
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + us)
  }
  const owners = new Map<string, number>()
  const functions = new Map<string, number>()
  let idle = 0
  let busy = 0
  for (const [id, us] of self) {
    const n = byId.get(id)
    if (!n) continue
    const { functionName, url, lineNumber } = n.callFrame
    if (functionName === '(idle)') {
      idle += us
      continue
    }
    busy += us
    const owner = ownerOf(url, functionName)
    owners.set(owner, (owners.get(owner) ?? 0) + us)
    const where = url ? ` ${owner}:${fileOf(url).split('/').at(-1)}:${lineNumber + 1}` : ''
    const fn = `${functionName || '(anônima)'}${where}`
    functions.set(fn, (functions.get(fn) ?? 0) + us)
  }
  const rank = (m: Map<string, number>): Share[] => [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: busy > 0 ? Math.round((us / busy) * 1000) / 1000 : 0 }))
  return { busyMs: Math.round(busy / 1000), idleMs: Math.round(idle / 1000), owners: rank(owners), functions: rank(functions) }
}

export function summarizeProfileFile (file: string, top = 8, window?: Window): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top, window)
}

export function formatProfile (name: string, s: ProfileSummary): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  return [
    `${name}: ${s.busyMs} ms de CPU (${s.idleMs} ms ocioso)`,
    `  por dono do código: ${s.owners.map(o => `${o.name} ${pct(o.share)}`).join(' · ')}`,
    ...s.functions.map(f => `    ${pct(f.share).padStart(6)}  ${f.name}`)
  ].join('\n')
}

/**
 * The main thread's profile in a folder `node --cpu-prof` wrote: files are named
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile and the main thread is thread 0.
 */
export function mainThreadProfile (dir: string): string | undefined {
  if (!existsSync(dir)) return undefined
  const file = readdirSync(dir).find(f => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  return file ? join(dir, file) : undefined
}
