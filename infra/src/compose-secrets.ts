import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { composePrincipals, passwordVar } from './compose-security.ts'
import { scramPrincipals } from './security/acls.ts'
import { kafkaCredentials, secretsDir } from './security/kafka-auth.ts'
import { ROOT, loadSettings } from './settings.ts'

// `node_modules/.bin/tsx infra/src/compose-secrets.ts`: the Kafka passwords of compose/ in compose/.env
// (git-ignored, mode 600), which Docker Compose reads by itself. They are the local stack's own
// (<state>/secrets/kafka-users.json, made here when missing), so the services started on this machine
// with `make up` log in to the Compose cluster as their principals with nothing else to copy.

export const COMPOSE_ENV = join(ROOT, 'compose', '.env')
const HEADER = '# Kafka passwords for compose/ (infra/src/compose-secrets.ts). Never commit this file.'

/** compose/.env's text: what it held that is not ours, then one password variable per principal. */
export function composeEnvText (credentials: Record<string, string>, existing = ''): string {
  const ours = new Set(composePrincipals().map(passwordVar))
  const kept = existing.split('\n').filter(l => l !== '' && l !== HEADER && !ours.has(l.slice(0, l.indexOf('='))))
  const lines = composePrincipals().map(p => {
    const password = credentials[p]
    if (password === undefined) throw new Error(`no Kafka password for ${p}`)
    return `${passwordVar(p)}=${password}`
  })
  return [...kept, HEADER, ...lines, ''].join('\n')
}

/**
 * The SCRAM principals' passwords as a container got them from compose/.env (its VITRINE_KAFKA_PASSWORD_*
 * variables), and the principals whose variable is missing: compose's registry proxy checks logins with them.
 */
export function composeEnvCredentials (env: NodeJS.ProcessEnv): { credentials: Record<string, string>, missing: string[] } {
  const credentials: Record<string, string> = {}
  const missing: string[] = []
  for (const p of scramPrincipals()) {
    const password = env[passwordVar(p)]
    if (password === undefined || password === '') missing.push(passwordVar(p))
    else credentials[p] = password
  }
  return { credentials, missing }
}

/** Writes compose/.env (600) from the state folder's passwords; returns the file written. */
export function writeComposeEnv (stateDir: string, file = COMPOSE_ENV): string {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : ''
  writeFileSync(file, composeEnvText(kafkaCredentials(stateDir), existing), { mode: 0o600 })
  // writeFileSync's mode applies only when it creates the file.
  chmodSync(file, 0o600)
  return file
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { stateDir } = loadSettings()
  const file = writeComposeEnv(stateDir)
  console.log(`Senhas do Kafka do compose/ em ${file} (modo 600, fora do git), as mesmas de ${join(secretsDir(stateDir), 'kafka-users.json')}.`)
  console.log('Agora: cd compose && docker compose up -d --wait')
}
