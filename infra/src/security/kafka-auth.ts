import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StackSettings } from '../settings.ts'
import { runningAuthMode } from './auth-mode.ts'
import { ADMIN_PRINCIPAL, CONTROLLER_PRINCIPAL, REGISTRY_PRINCIPAL, SUPER_USERS, scramPrincipals } from './acls.ts'

// KAFKA_AUTH=scram (the default): the local cluster authenticates every client with SASL/SCRAM-SHA-512
// and authorizes it with StandardAuthorizer and the ACLs of acls.ts. KAFKA_AUTH=none keeps a PLAINTEXT
// cluster with no authorizer: `make test` and `make bench` run so (their suites drive the shared stack
// as its admin surface; the security suites start SCRAM brokers of their own).
//
// The passwords are generated once into <state>/secrets/kafka-users.json (folder 700, file 600;
// the state folder is git-ignored) and given to the broker at format time (KIP-900:
// `kafka-storage format --add-scram`), so they exist before the first client connects.
//
// The controller listener: with StandardAuthorizer the controller authorizes the brokers' own
// requests (registration, heartbeats, forwarded admin requests) with CLUSTER_ACTION. A PLAINTEXT
// controller listener would make `User:ANONYMOUS` a super user: any process on the machine that
// reaches that port (or any PLAINTEXT listener added later by mistake) would be admin. So the
// controller listener is SASL too, with PLAIN and a `controller` user defined in the broker's own
// JAAS config (SCRAM cannot be used there: its credentials live in the metadata log the controller
// serves). Only that listener accepts PLAIN and only it knows `controller`; it stays on localhost.

export type KafkaAuth = 'none' | 'scram'

/** The one place the default lives: what `make demo` and `make up` start without KAFKA_AUTH. */
export const DEFAULT_KAFKA_AUTH: KafkaAuth = 'scram'

export const SCRAM_MECHANISM = 'SCRAM-SHA-512'

export class KafkaAuthError extends Error {
  code = 'SHOP_ERR_KAFKA_AUTH'
}

/** KAFKA_AUTH when set; else the mode the running stack of `stateDir` was started with; else the default. */
export function kafkaAuthSetting (raw = process.env.KAFKA_AUTH, stateDir?: string): KafkaAuth {
  if (raw === undefined || raw === '') return (stateDir === undefined ? undefined : runningAuthMode(stateDir)?.kafkaAuth) ?? DEFAULT_KAFKA_AUTH
  if (raw === 'none' || raw === 'scram') return raw
  throw new KafkaAuthError(`KAFKA_AUTH deve ser "none" ou "scram", mas veio "${raw}": corrija no .env ou na linha de comando.`)
}

export function secretsDir (stateDir: string): string {
  return join(stateDir, 'secrets')
}

function usersFile (stateDir: string): string {
  return join(secretsDir(stateDir), 'kafka-users.json')
}

/** Hex: no character the format tool's `[name=…,password=…]` or a JAAS string would need escaped. */
function newPassword (): string {
  return randomBytes(24).toString('hex')
}

function writePrivate (path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 })
  // writeFileSync's mode applies only when it creates the file.
  chmodSync(path, 0o600)
}

/**
 * Every principal's password (SCRAM users and the controller's PLAIN user), generated the first
 * time and kept; a principal added to the catalog later gets one here too (its SCRAM user must then
 * be added to a running cluster with `infra/bin/kafka configs --alter --entity-type users`).
 */
export function kafkaCredentials (stateDir: string): Record<string, string> {
  const dir = secretsDir(stateDir)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const file = usersFile(stateDir)
  const known: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, string> : {}
  let changed = !existsSync(file)
  for (const name of [...scramPrincipals(), CONTROLLER_PRINCIPAL]) {
    if (known[name] === undefined) {
      known[name] = newPassword()
      changed = true
    }
  }
  if (changed) writePrivate(file, JSON.stringify(known, null, 2) + '\n')
  return known
}

/**
 * Replaces one principal's password in <state>/secrets/kafka-users.json (a rotation: rotate.ts has
 * already changed it on the broker). Returns the new one.
 */
export function storeKafkaPassword (stateDir: string, principal: string, password = newPassword()): string {
  const known = kafkaCredentials(stateDir)
  if (known[principal] === undefined) throw new KafkaAuthError(`o usuário Kafka ${principal} não existe em ${usersFile(stateDir)}`)
  known[principal] = password
  writePrivate(usersFile(stateDir), JSON.stringify(known, null, 2) + '\n')
  return password
}

/** A fresh password (hex, like the generated ones). */
export function freshKafkaPassword (): string {
  return newPassword()
}

/** One principal's password; throws naming the file when it has none. */
export function kafkaPassword (stateDir: string, principal: string): string {
  const password = kafkaCredentials(stateDir)[principal]
  if (password === undefined) throw new KafkaAuthError(`o usuário Kafka ${principal} não tem senha em ${usersFile(stateDir)}`)
  return password
}

const jaas = (module: string, fields: Record<string, string>): string =>
  `${module} required ${Object.entries(fields).map(([k, v]) => `${k}="${v}"`).join(' ')};`

/**
 * The broker's listener and security lines. `clientListeners` are the names of every listener
 * clients use (the client listener and the services' link listeners): SASL_PLAINTEXT with SCRAM.
 */
export function brokerSecurityLines (auth: KafkaAuth, credentials: Record<string, string>, clientListeners: string[]): { protocols: string[], lines: string[] } {
  if (auth === 'none') return { protocols: ['CONTROLLER:PLAINTEXT', ...clientListeners.map(l => `${l}:PLAINTEXT`)], lines: [] }
  const admin = credentials[ADMIN_PRINCIPAL]!
  const controller = credentials[CONTROLLER_PRINCIPAL]!
  const scramLogin = jaas('org.apache.kafka.common.security.scram.ScramLoginModule', { username: ADMIN_PRINCIPAL, password: admin })
  return {
    protocols: ['CONTROLLER:SASL_PLAINTEXT', ...clientListeners.map(l => `${l}:SASL_PLAINTEXT`)],
    lines: [
      // Clients and brokers between themselves: SCRAM-SHA-512; brokers log in as admin.
      `sasl.enabled.mechanisms=${SCRAM_MECHANISM}`,
      `sasl.mechanism.inter.broker.protocol=${SCRAM_MECHANISM}`,
      ...clientListeners.map(l => `listener.name.${l.toLowerCase()}.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config=${scramLogin}`),
      // The controller listener: PLAIN, its one user defined here (see the comment at the top).
      'sasl.mechanism.controller.protocol=PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
      `listener.name.controller.plain.sasl.jaas.config=${jaas('org.apache.kafka.common.security.plain.PlainLoginModule', { username: CONTROLLER_PRINCIPAL, password: controller, [`user_${CONTROLLER_PRINCIPAL}`]: controller })}`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found=false',
      `super.users=${SUPER_USERS.map(u => `User:${u}`).join(';')}`
    ]
  }
}

/** `kafka-storage format` arguments that create every SCRAM user in the cluster's bootstrap metadata. */
export function formatScramArgs (auth: KafkaAuth, credentials: Record<string, string>): string[] {
  if (auth === 'none') return []
  return scramPrincipals().flatMap(name => ['--add-scram', `${SCRAM_MECHANISM}=[name=${name},password=${credentials[name]!}]`])
}

/** The users a formatted node was given (written beside its data at format time). */
export function scramMarker (nodeDir: string): string {
  return join(nodeDir, 'scram-users.json')
}

export function writeScramMarker (nodeDir: string, auth: KafkaAuth): void {
  writeFileSync(scramMarker(nodeDir), JSON.stringify({ auth, users: auth === 'scram' ? scramPrincipals() : [] }) + '\n')
}

/** A formatted node without SCRAM users: formatted with KAFKA_AUTH=none, or before this file existed. */
export function formattedWithoutScram (nodeDir: string): boolean {
  const marker = scramMarker(nodeDir)
  return !existsSync(marker) || (JSON.parse(readFileSync(marker, 'utf8')) as { auth: KafkaAuth }).auth !== 'scram'
}

/** SASL options for @platformatic/kafka clients (Admin): undefined on a PLAINTEXT cluster. */
export function platformaticSasl (auth: KafkaAuth, username: string, password: string): { mechanism: typeof SCRAM_MECHANISM, username: string, password: string } | undefined {
  return auth === 'scram' ? { mechanism: SCRAM_MECHANISM, username, password } : undefined
}

/** A principal's SASL options for a stack's Admin clients; null on a PLAINTEXT cluster (no SASL, said explicitly). */
export function principalSasl (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>, principal: string): NonNullable<ReturnType<typeof platformaticSasl>> | null {
  return s.kafkaAuth === 'scram' ? platformaticSasl('scram', principal, kafkaPassword(s.stateDir, principal))! : null
}

/** The admin's SASL options for a stack's Admin clients; null on a PLAINTEXT cluster. */
export function adminSasl (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>): NonNullable<ReturnType<typeof platformaticSasl>> | null {
  return principalSasl(s, ADMIN_PRINCIPAL)
}

/** librdkafka (node-rdkafka) properties for a principal. */
export function rdkafkaSasl (auth: KafkaAuth, username: string, password: string): Record<string, string> {
  if (auth === 'none') return {}
  return { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': SCRAM_MECHANISM, 'sasl.username': username, 'sasl.password': password }
}

/**
 * The admin's client properties for Kafka's own tools (`--command-config`): infra/bin/kafka passes
 * it when the file exists, so every command of the README and the runbooks works unchanged.
 */
export function writeAdminCommandConfig (s: Pick<StackSettings, 'stateDir'>, auth: KafkaAuth): string {
  const file = join(secretsDir(s.stateDir), 'kafka-admin.properties')
  // Left from a KAFKA_AUTH=scram run, it would make the tools talk SASL to a PLAINTEXT broker.
  if (auth === 'none') {
    rmSync(file, { force: true })
    return file
  }
  const password = kafkaPassword(s.stateDir, ADMIN_PRINCIPAL)
  writePrivate(file, [
    '# Generated by infra/src/security/kafka-auth.ts: the admin principal (a super user) for Kafka\'s CLI tools.',
    'security.protocol=SASL_PLAINTEXT',
    `sasl.mechanism=${SCRAM_MECHANISM}`,
    `sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule', { username: ADMIN_PRINCIPAL, password })}`,
    ''
  ].join('\n'))
  return file
}

/**
 * Apicurio's Kafka clients (kafkasql storage) as the registry principal: a properties file Quarkus
 * reads through quarkus.config.locations, so the password is not on the command line (`ps` shows that).
 * `apicurio.kafka.common.*` goes to its producer, consumer and admin alike.
 */
export function writeRegistryKafkaConfig (s: Pick<StackSettings, 'stateDir'>): string {
  const file = join(secretsDir(s.stateDir), 'registry-kafka.properties')
  const password = kafkaPassword(s.stateDir, REGISTRY_PRINCIPAL)
  writePrivate(file, [
    '# Generated by infra/src/security/kafka-auth.ts: Apicurio Registry logs in to Kafka as the registry principal.',
    'apicurio.kafka.common.security.protocol=SASL_PLAINTEXT',
    `apicurio.kafka.common.sasl.mechanism=${SCRAM_MECHANISM}`,
    `apicurio.kafka.common.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule', { username: REGISTRY_PRINCIPAL, password })}`,
    ''
  ].join('\n'))
  return file
}
