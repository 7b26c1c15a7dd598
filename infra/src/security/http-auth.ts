import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { serviceAuthHeaders, signToken } from '@vitrine/service-kit'
import type { AuthConfig } from '@vitrine/service-kit'
import { runningAuthMode } from './auth-mode.ts'
import { secretsDir } from './kafka-auth.ts'

// HTTP_AUTH=jwt (issue 16): every service verifies HS256 tokens with one key, and the gateway's dev
// issuer signs the instructor in with a code. Both are generated once into <state>/secrets/http-auth.json
// (folder 700, file 600; the state folder is git-ignored), given to the services in their environment
// (apps.ts) and never written anywhere else. HTTP_AUTH=none (make test and make bench: their suites
// call the admin surface without a token; the JWT matrices run with jwt) gives them too, so tools'
// tokens work in either mode.

export type HttpAuth = 'jwt' | 'none'

/** The one place the default lives: what `make demo` and `make up` start without HTTP_AUTH. */
export const DEFAULT_HTTP_AUTH: HttpAuth = 'jwt'

/** HTTP_AUTH when set; else the mode the running stack of `stateDir` was started with; else the default. */
export function httpAuthSetting (raw = process.env.HTTP_AUTH, stateDir?: string): HttpAuth {
  if (raw === undefined || raw === '') return (stateDir === undefined ? undefined : runningAuthMode(stateDir)?.httpAuth) ?? DEFAULT_HTTP_AUTH
  if (raw === 'jwt' || raw === 'none') return raw
  throw new Error(`HTTP_AUTH deve ser jwt ou none (recebido "${raw}")`)
}

export interface HttpSecrets { jwtSecret: string, instructorCode: string }

export function httpSecretsFile (stateDir: string): string {
  return join(secretsDir(stateDir), 'http-auth.json')
}

/** The stack's JWT key and instructor code, generated the first time and kept. */
export function httpSecrets (stateDir: string): HttpSecrets {
  const dir = secretsDir(stateDir)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const file = httpSecretsFile(stateDir)
  const known = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Partial<HttpSecrets> : {}
  if (typeof known.jwtSecret === 'string' && typeof known.instructorCode === 'string') return known as HttpSecrets
  // 48 bytes for HS256's key; the code is typed by a person: 8 groups of hex is plenty for a class.
  const secrets: HttpSecrets = { jwtSecret: known.jwtSecret ?? randomBytes(48).toString('base64url'), instructorCode: known.instructorCode ?? randomBytes(8).toString('hex') }
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  return secrets
}

/** What every service of the stack gets in its environment (the gateway also reads the instructor code). */
export function httpAuthEnv (stateDir: string, auth: HttpAuth = httpAuthSetting(process.env.HTTP_AUTH, stateDir)): Record<string, string> {
  const s = httpSecrets(stateDir)
  return { HTTP_AUTH: auth, HTTP_JWT_SECRET: s.jwtSecret, HTTP_INSTRUCTOR_CODE: s.instructorCode }
}

function authConfig (stateDir: string): AuthConfig {
  return { HTTP_AUTH: httpAuthSetting(process.env.HTTP_AUTH, stateDir), HTTP_JWT_SECRET: httpSecrets(stateDir).jwtSecret, HTTP_JWT_ISSUER: process.env.HTTP_JWT_ISSUER ?? 'vitrine', HTTP_JWT_AUDIENCE: process.env.HTTP_JWT_AUDIENCE ?? 'vitrine' }
}

/** An instructor token for a person (make demo prints it): valid for a class's day. */
export function instructorToken (stateDir: string): string {
  return signToken(authConfig(stateDir), { sub: 'instructor', role: 'instructor' })
}

/** The header a tool of the supervisor (demo, control plane, drills, exercises) sends to a service: a short-lived instructor token in its own name. */
export function toolAuthHeaders (stateDir: string, tool: string): Record<string, string> {
  return serviceAuthHeaders(authConfig(stateDir), tool)
}
