import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive, readPid } from '../proc.ts'

// The security modes the running stack was started with (KAFKA_AUTH, HTTP_AUTH), kept beside its
// state while its Kafka runs. A later command without those variables (make reset, make dlq,
// make restart S=..., infra/bin/kafka) then speaks the running cluster's language instead of the
// default's; a command that names another mode is refused by `up` with what to do.

export interface AuthMode { kafkaAuth: 'none' | 'scram', httpAuth: 'jwt' | 'none' }

function modeFile (stateDir: string): string {
  return join(stateDir, 'auth-mode.json')
}

/** The modes of the stack whose Kafka runs now from this state folder; undefined when it does not run (or predates this file). */
export function runningAuthMode (stateDir: string): AuthMode | undefined {
  const file = modeFile(stateDir)
  if (!existsSync(file)) return undefined
  const pid = readPid(stateDir, 'kafka-1')
  if (pid === undefined || !isAlive(pid)) return undefined
  try {
    const mode = JSON.parse(readFileSync(file, 'utf8')) as Partial<AuthMode>
    if ((mode.kafkaAuth === 'none' || mode.kafkaAuth === 'scram') && (mode.httpAuth === 'jwt' || mode.httpAuth === 'none')) return mode as AuthMode
  } catch {}
  return undefined
}

export function recordAuthMode (stateDir: string, mode: AuthMode): void {
  writeFileSync(modeFile(stateDir), JSON.stringify(mode) + '\n')
}

export function forgetAuthMode (stateDir: string): void {
  rmSync(modeFile(stateDir), { force: true })
}
