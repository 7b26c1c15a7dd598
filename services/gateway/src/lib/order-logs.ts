import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { SERVICES } from '@vitrine/contracts'

// An order's log lines, read from the services' log files (the supervisor writes each app's
// output to <stateDir>/logs/<name>.log, one pino JSON record per line). Bounded: only the tail of
// each file is read, streamed in chunks (the event loop runs between them), and at most `maxLines` kept.
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

const NL = 0x0a
// A line longer than this without a newline is not a pino record: dropped rather than held.
const MAX_LINE_BYTES = 1024 * 1024

/**
 * The order's lines in the last `tailBytes` of one file, at most `maxLines` (the most recent).
 * The file is scanned as bytes for the order id (Buffer.indexOf); only the lines holding it become
 * strings and are parsed, so a 20 MB tail costs milliseconds, not a string and a JSON.parse per line.
 */
export async function readFileTail (file: string, orderId: string, o: ReadOptions): Promise<{ lines: OrderLogLine[], dropped: number }> {
  const size = (await stat(file)).size
  const start = Math.max(0, size - o.tailBytes)
  const service = basename(file, '.log')
  const needle = Buffer.from(orderId)
  const lines: OrderLogLine[] = []
  let dropped = 0
  const take = (line: string): void => {
    const parsed = parseLine(line, orderId, service)
    if (!parsed) return
    lines.push(parsed)
    if (lines.length > o.maxLines * 2) dropped += lines.splice(0, lines.length - o.maxLines).length
  }
  // Reading from the middle of the file: everything before its first newline is a fragment.
  let fragment = start > 0
  let carry: Buffer = Buffer.alloc(0)
  // Up to the size seen now: lines appended while reading wait for the next request.
  for await (const chunk of createReadStream(file, { start, end: Math.max(start, size - 1), highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    if (fragment) {
      const nl = buf.indexOf(NL)
      carry = Buffer.alloc(0)
      if (nl === -1) continue
      buf = buf.subarray(nl + 1)
      fragment = false
    }
    const last = buf.lastIndexOf(NL)
    const complete = buf.subarray(0, last + 1)
    carry = last + 1 < buf.length && buf.length - last - 1 <= MAX_LINE_BYTES ? Buffer.from(buf.subarray(last + 1)) : Buffer.alloc(0)
    for (let at = complete.indexOf(needle); at !== -1; at = complete.indexOf(needle, at)) {
      const from = complete.lastIndexOf(NL, at) + 1
      const to = complete.indexOf(NL, at)
      take(complete.toString('utf8', from, to))
      at = to + 1
    }
  }
  // A last line without its newline (being written now): kept if it is whole JSON already.
  if (!fragment && carry.includes(needle)) take(carry.toString('utf8'))
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
