import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import os from 'node:os'
import postgres from 'postgres'
import type { StackSettings } from '../settings.ts'
import { KAFKA_LIB, ROOT, databaseUrl } from '../settings.ts'
import { javaBin } from '../kafka-node.ts'

// The machine a run came from, so figures from different machines are never compared blindly.

export interface MachineFacts {
  hostname: string
  cores: number
  memoryGb: number
  cpuModel: string
  os: string
  node: string
  java: string
  kafka: string
  postgres: string
  brokers: number
  gitCommit: string
  /** 1-minute load average when the run started: above the core count, others were using the machine. */
  loadAverageStart: number
}

/** What a command printed on stdout and stderr together (`java -version` uses stderr). */
function run (cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return `${r.stdout ?? ''}${r.stderr ?? ''}`
}

/** `java -version` prints to stderr, e.g. `openjdk version "17.0.15" 2025-04-15`. */
export function parseJavaVersion (text: string): string {
  const m = /(\S+) version "([^"]+)"/.exec(text)
  return m ? `${m[1]} ${m[2]}` : 'unknown'
}

export function kafkaVersion (): string {
  if (!existsSync(KAFKA_LIB)) return 'unknown'
  const jar = readdirSync(KAFKA_LIB).map(f => /^kafka-clients-(.+)\.jar$/.exec(f)?.[1]).find(Boolean)
  return jar ?? 'unknown'
}

function cpuModel (): string {
  const fromProc = existsSync('/proc/cpuinfo') ? /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] : undefined
  return fromProc ?? os.cpus()[0]?.model ?? 'unknown'
}

async function postgresVersion (s: StackSettings): Promise<string> {
  const sql = postgres(databaseUrl(s), { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    const [row] = await sql`select current_setting('server_version') as v`
    return String(row?.v ?? 'unknown')
  } catch {
    return 'unknown'
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {})
  }
}

export async function machineFacts (s: StackSettings): Promise<MachineFacts> {
  return {
    hostname: os.hostname(),
    cores: os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel: cpuModel(),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: parseJavaVersion(run(javaBin(s), ['-version'])),
    kafka: kafkaVersion(),
    postgres: await postgresVersion(s),
    brokers: s.brokers,
    gitCommit: run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).trim() || 'unknown',
    loadAverageStart: Math.round(os.loadavg()[0]! * 100) / 100
  }
}
