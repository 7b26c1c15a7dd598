import { createHash, timingSafeEqual } from 'node:crypto'
import { LAB_PREFIX, TOPICS } from '@vitrine/contracts'
import type { AclRule } from './acls.ts'
import { ADMIN_PRINCIPAL, EXERCISE_PREFIX, allowed, deriveAcls, scramPrincipals } from './acls.ts'

// Who may change what in the Schema Registry with KAFKA_AUTH=scram (infra/src/registry-proxy.ts
// enforces it). The registry keeps no ACLs of its own: the principals and passwords are Kafka's
// (<state>/secrets/kafka-users.json), and a subject `<topic>-value` (or `-key`) may be written by
// whoever the catalog's ACLs (acls.ts) let WRITE `<topic>`: its writer service, the gateway for the
// labs' `lab.*` topics, Flink (`streams`) for its `streams.*` outputs, the exercises' setups for
// their `ex*` topics. A test's prefixed copy of the catalog (`t1a2b3c4d.orders.new`) belongs to the
// same writer, as the broker's prefixOnlyAcls grant it. Everything else (drill subjects, compatibility
// rules, modes, Apicurio's own API) is the admin's: the supervisor's tools register as admin.

/** What a request does to the registry. `read` changes nothing; `subject` changes that one subject; `admin` anything else. */
export type RegistryAccess = { kind: 'read' } | { kind: 'subject', subject: string } | { kind: 'admin', what: string }

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const CCOMPAT = /^\/apis\/ccompat\/v\d+(?=\/|$)/
const NATIVE_VERSIONS = /^\/apis\/registry\/v3\/groups\/default\/artifacts\/([^/]+)\/versions$/

/**
 * Classifies a request by its method and the path the client sent (Confluent's, or Apicurio's own:
 * a path under /apis/ccompat/v7 is classified as its Confluent form, so it opens no second door).
 */
export function classifyRegistryRequest (method: string, url: string): RegistryAccess {
  const m = method.toUpperCase()
  if (READ_METHODS.has(m)) return { kind: 'read' }
  const raw = url.split('?')[0]!.split('#')[0]!
  const path = raw.replace(CCOMPAT, '') || '/'
  const segments = path.split('/').slice(1)
  let decoded: string[]
  try {
    decoded = segments.map(s => decodeURIComponent(s))
  } catch {
    return { kind: 'admin', what: `${m} ${raw}` }
  }
  // Dot segments, empty ones and `;` path parameters (which Jetty and RESTEasy drop: `orders.new-value;x.lab.a-value`)
  // could be resolved differently by the backend than here.
  if (decoded.some(s => s === '' || s === '.' || s === '..' || s.includes('/') || s.includes(';'))) return { kind: 'admin', what: `${m} ${raw}` }
  const [root, subject, sub, ...rest] = decoded
  // Checks that change nothing: a compatibility test and "is this schema registered under the subject?".
  // The runbooks' curl lines ask them without credentials (runbook 05, exercise 08).
  if (m === 'POST' && root === 'compatibility') return { kind: 'read' }
  if (m === 'POST' && root === 'subjects' && subject !== undefined && sub === undefined) return { kind: 'read' }
  if (root === 'subjects' && subject !== undefined) {
    if (m === 'POST' && sub === 'versions' && rest.length === 0) return { kind: 'subject', subject }
    if (m === 'DELETE' && (sub === undefined || (sub === 'versions' && rest.length === 1))) return { kind: 'subject', subject }
  }
  // A subject's own compatibility rule is part of its contract; the global one is the admin's.
  if (root === 'config' && subject !== undefined && sub === undefined && (m === 'PUT' || m === 'DELETE')) return { kind: 'subject', subject }
  // Apicurio's own API: a new version of an artifact (the schema lab's dry run names the fields that break a rule).
  const native = NATIVE_VERSIONS.exec(raw)
  if (m === 'POST' && native !== null) {
    try {
      return { kind: 'subject', subject: decodeURIComponent(native[1]!) }
    } catch {
      return { kind: 'admin', what: `${m} ${raw}` }
    }
  }
  return { kind: 'admin', what: `${m} ${raw}` }
}

/** The topic a subject describes (TopicNameStrategy: `<topic>-value`, `<topic>-key`), or null. */
export function subjectTopic (subject: string): string | null {
  const m = /^(.+)-(?:value|key)$/.exec(subject)
  return m === null ? null : m[1]!
}

/**
 * The run prefixes `topic` can be read with: '' and every `<p>.` such that the rest is a catalog
 * topic or starts with the labs' or the exercises' prefix. Tests name their copies `t<id>.<topic>`.
 */
function candidatePrefixes (topic: string): string[] {
  const out: string[] = []
  const names = TOPICS.map(t => t.name as string)
  for (let i = 0; i < topic.length; i++) {
    const p = topic.slice(0, i)
    if (p !== '' && !p.endsWith('.')) continue
    const rest = topic.slice(i)
    if (names.includes(rest) || rest.startsWith(LAB_PREFIX) || rest.startsWith(EXERCISE_PREFIX)) out.push(p)
  }
  return out
}

const rulesByPrefix = new Map<string, AclRule[]>()

function rulesFor (prefix: string): AclRule[] {
  let rules = rulesByPrefix.get(prefix)
  if (rules === undefined) {
    rules = deriveAcls({ prefix })
    // Tests come and go with new prefixes; a long-running proxy keeps only a few.
    if (rulesByPrefix.size > 50) rulesByPrefix.clear()
    rulesByPrefix.set(prefix, rules)
  }
  return rules
}

/** May `principal` register, delete or set the rule of `subject`? */
export function mayWriteSubject (principal: string, subject: string): boolean {
  if (principal === ADMIN_PRINCIPAL) return true
  const topic = subjectTopic(subject)
  if (topic === null) return false
  return candidatePrefixes(topic).some(p => allowed(rulesFor(p), principal, 'TOPIC', topic, 'WRITE'))
}

/** The decision on one request: who it is (already authenticated, or null) and what it does. */
export function authorizeRegistry (principal: string | null, access: RegistryAccess): 'allow' | 'unauthenticated' | 'forbidden' {
  if (access.kind === 'read') return 'allow'
  if (principal === null) return 'unauthenticated'
  if (principal === ADMIN_PRINCIPAL) return 'allow'
  if (access.kind === 'subject' && mayWriteSubject(principal, access.subject)) return 'allow'
  return 'forbidden'
}

/** The user and password of an `Authorization: Basic` header; undefined without one, null when malformed. */
export function basicCredentials (header: string | undefined): { username: string, password: string } | null | undefined {
  if (header === undefined || header === '') return undefined
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (m === null) return null
  const text = Buffer.from(m[1]!, 'base64').toString('utf8')
  const colon = text.indexOf(':')
  if (colon < 0) return null
  return { username: text.slice(0, colon), password: text.slice(colon + 1) }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * Checks a login against the stack's Kafka passwords. Only the SCRAM principals log in here (not the
 * brokers' `controller`, which no client listener accepts either). Compared in constant time.
 */
export function checkLogin (credentials: Record<string, string>, username: string, password: string): boolean {
  if (!scramPrincipals().includes(username)) return false
  const known = credentials[username]
  if (known === undefined) return false
  return timingSafeEqual(digest(known), digest(password))
}
