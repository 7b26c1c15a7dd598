import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'
import { SERVICES } from '@vitrine/contracts'

// An order's log lines, read from the services' log files (the supervisor writes each app's
// output to <stateDir>/logs/<name>.log, one pino JSON record per line). Bounded: only the tail of
// each file is read, streamed (the event loop runs between chunks), and at most `maxLines` kept.
// Only the services' files: the same folder holds the broker's, the registry's and the database's logs.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export type LogValue = string | number | boolean | null | Array<string | number | boolean | null>

export interface OrderLogLine {
  time: string
  service: string
  level: LogLevel
  msg: string
  /** The record's other fields a reader needs (eventId, topic, partition, offset, reason, ...); `err` becomes `error`. */
  fields: Record<string, LogValue>
}

export interface OrderLogs {
  lines: OrderLogLine[]
  /** More lines matched than `maxLines`: the most recent ones are kept. */
  truncated: boolean
  /** Whether the log folder exists (it does not when the services run elsewhere). */
  dirExists: boolean
}

export interface ReadOptions { tailBytes: number, maxLines: number }

const LEVELS: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }
// pino's own fields, and what the line already says elsewhere.
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'orderId', 'err', 'req', 'res'])

function levelOf (raw: unknown): LogLevel {
  if (typeof raw === 'string' && Object.values(LEVELS).includes(raw as LogLevel)) return raw as LogLevel
  if (typeof raw === 'number') return LEVELS[Math.min(60, Math.max(10, Math.round(raw / 10) * 10))] ?? 'info'
  return 'info'
}

function timeOf (raw: unknown): string | undefined {
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : NaN
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}

const scalar = (v: unknown): v is string | number | boolean | null => v === null || ['string', 'number', 'boolean'].includes(typeof v)

/** One log line as an order's line, or undefined if it is not JSON, not this order's, or has no time. */
export function parseLine (line: string, orderId: string, fallbackService: string): OrderLogLine | undefined {
  // Most lines are other orders': a substring test before JSON.parse keeps their cost small.
  if (!line.includes(orderId)) return undefined
  let rec: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
    rec = parsed as Record<string, unknown>
  } catch {
    return undefined
  }
  if (rec.orderId !== orderId) return undefined
  const time = timeOf(rec.time)
  if (time === undefined) return undefined
  const fields: Record<string, LogValue> = {}
  for (const [k, v] of Object.entries(rec)) {
    if (OMIT.has(k)) continue
    if (scalar(v)) fields[k] = v
    else if (Array.isArray(v) && v.every(scalar)) fields[k] = v
  }
  const err = rec.err as { message?: unknown } | undefined
  if (err && typeof err.message === 'string') fields.error = err.message
  return {
    time,
    service: typeof rec.service === 'string' ? rec.service : fallbackService,
    level: levelOf(rec.level),
    msg: typeof rec.msg === 'string' ? rec.msg : '',
    fields
  }
}

/** The order's lines in the last `tailBytes` of one file, at most `maxLines` (the most recent). */
export async function readFileTail (file: string, orderId: string, o: ReadOptions): Promise<{ lines: OrderLogLine[], dropped: number }> {
  const size = (await stat(file)).size
  const start = Math.max(0, size - o.tailBytes)
  const service = basename(file, '.log')
  const lines: OrderLogLine[] = []
  let dropped = 0
  // Up to the size seen now: lines appended while reading wait for the next request.
  const input = createReadStream(file, { start, end: Math.max(start, size - 1), encoding: 'utf8' })
  const rl = createInterface({ input, crlfDelay: Infinity })
  let first = start > 0
  for await (const line of rl) {
    // Reading from the middle of the file: its first line is a fragment.
    if (first) { first = false; continue }
    const parsed = parseLine(line, orderId, service)
    if (!parsed) continue
    lines.push(parsed)
    if (lines.length > o.maxLines * 2) dropped += lines.splice(0, lines.length - o.maxLines).length
  }
  if (lines.length > o.maxLines) dropped += lines.splice(0, lines.length - o.maxLines).length
  return { lines, dropped }
}

/** Every service's lines of the order, merged in time order (ties keep each file's order). */
export async function readOrderLogs (dir: string, orderId: string, o: ReadOptions): Promise<OrderLogs> {
  let names: string[]
  try {
    const files = new Set(await readdir(dir))
    names = SERVICES.map(s => `${s}.log`).filter(n => files.has(n))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return { lines: [], truncated: false, dirExists: false }
    throw err
  }
  // One file after the other: a request holds one read stream at a time.
  const all: OrderLogLine[] = []
  let dropped = 0
  for (const name of names) {
    try {
      const r = await readFileTail(join(dir, name), orderId, o)
      all.push(...r.lines)
      dropped += r.dropped
    } catch (err) {
      // A file removed or rotated meanwhile is simply not read.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  const sorted = all.map((l, i) => ({ l, i, t: Date.parse(l.time) })).sort((a, b) => a.t - b.t || a.i - b.i).map(x => x.l)
  const extra = Math.max(0, sorted.length - o.maxLines)
  return { lines: sorted.slice(extra), truncated: dropped + extra > 0, dirExists: true }
}
