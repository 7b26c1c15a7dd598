import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import type { AclRule } from '../../src/security/acls.ts'
import { ADMIN_PRINCIPAL, REGISTRY_PRINCIPAL, aclKey, deriveAcls, scramPrincipals } from '../../src/security/acls.ts'
import { SCRAM_MECHANISM, brokerSecurityLines, kafkaCredentials } from '../../src/security/kafka-auth.ts'
import { ACLS_SCRIPT, COMPOSE_CLIENT_LISTENERS, KAFKA_START_SCRIPT, REGENERATE_SECURITY, aclsScript, composeAcls, composePrincipals, confluentRegistryAcls, kafkaStartScript, passwordVar } from '../../src/compose-security.ts'
import { COMPOSE_ENV, composeEnvCredentials, composeEnvText, writeComposeEnv } from '../../src/compose-secrets.ts'
import { proxyOptions } from '../../src/registry-proxy.ts'
import { connectLogin } from '../../src/streams-connect.ts'
import { ROOT, databaseUrl } from '../../src/settings.ts'
import { defaultSettings } from '../../src/testing/stack-env.ts'

// compose/ cannot run here (no Docker engine): its Kafka security is checked against the local stack's
// own code instead. The scripts are what infra/src/compose-security.ts generates from the catalog; the
// ACLs they grant are deriveAcls()'s; each container logs in as its own principal; no password is
// committed; every published port is on 127.0.0.1.

interface Service {
  image?: string
  ports?: unknown[]
  expose?: unknown[]
  network_mode?: string
  environment?: Record<string, string | number>
  env_file?: string | string[]
  entrypoint?: string[]
  command?: string[]
  working_dir?: string
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
}
interface ComposeFile { services: Record<string, Service>, 'x-vitrine-env'?: Record<string, string> }

const COMPOSE_FILES = ['compose.yaml', 'compose.3-brokers.yaml']
const load = (file: string): ComposeFile => parse(readFileSync(join(ROOT, 'compose', file), 'utf8'), { merge: true }) as ComposeFile

const UPPER = (op: string): string => op.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()

/**
 * Runs an ACL script with a stand-in for kafka-acls.sh that records each call's arguments (one file per
 * call: the script runs four at a time), as the admin: returns the calls and the login file's text.
 */
function runAclScript (t: { after: (fn: () => void) => void }, script: string, env: Record<string, string> = { [passwordVar(ADMIN_PRINCIPAL)]: 'the-admin-password' }, haveUsers = scramPrincipals()): { status: number | null, stderr: string, calls: string[][], userCalls: string[][], login: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-acls-sh-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'calls'))
  mkdirSync(join(dir, 'users'))
  const stub = (name: string, body: string): string => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`)
    chmodSync(join(dir, name), 0o755)
    return join(dir, name)
  }
  const record = (folder: string): string => `f=$(mktemp -p '${join(dir, folder)}')\nfor a in "$@"; do printf '%s\\n' "$a"; done > "$f"`
  const acls = stub('kafka-acls.sh', record('calls'))
  // kafka-configs --describe answers as Kafka 4's ConfigCommand does for the users the cluster has.
  const configs = stub('kafka-configs.sh', `case " $* " in *" --describe "*) ${haveUsers.map(u => `echo "SCRAM credential configs for user-principal '${u}' are SCRAM-SHA-512=iterations=4096"`).join('; ') || 'true'} ;; *) ${record('users')} ;; esac`)
  const file = join(dir, 'acls.sh')
  writeFileSync(file, script)
  const r = spawnSync('sh', [file], { env: { PATH: process.env.PATH, KAFKA_ACLS: acls, KAFKA_CONFIGS: configs, BOOTSTRAP: 'localhost:1', ...env }, encoding: 'utf8' })
  const read = (folder: string): string[][] => readdirSync(join(dir, folder)).map(f => readFileSync(join(dir, folder, f), 'utf8').trimEnd().split('\n'))
  const calls = read('calls')
  const config = calls[0]?.[calls[0].indexOf('--command-config') + 1]
  return { status: r.status, stderr: r.stderr, calls, userCalls: read('users'), login: config === undefined ? [] : readFileSync(config, 'utf8').trimEnd().split('\n') }
}

/** The ACL entries kafka-acls --add calls make: every principal × operation × resource of each call. */
function aclsOfCalls (calls: string[][]): Array<Omit<AclRule, 'why'>> {
  const out: Array<Omit<AclRule, 'why'>> = []
  for (const words of calls) {
    assert.deepEqual(words.slice(0, 2), ['--bootstrap-server', 'localhost:1'])
    const principals: Array<{ principal: string, permission: AclRule['permission'] }> = []
    const ops: string[] = []
    const resources: Array<{ resource: AclRule['resource'], name: string }> = []
    let pattern: AclRule['pattern'] | undefined
    for (let i = 2; i < words.length; i++) {
      const w = words[i]!
      const next = (): string => words[++i]!
      if (w === '--command-config') next()
      else if (w === '--add') continue
      else if (w === '--allow-principal' || w === '--deny-principal') principals.push({ principal: next().replace(/^User:/, ''), permission: w === '--allow-principal' ? 'ALLOW' : 'DENY' })
      else if (w === '--operation') ops.push(UPPER(next()))
      else if (w === '--resource-pattern-type') pattern = next() as AclRule['pattern']
      else if (w === '--topic') resources.push({ resource: 'TOPIC', name: next() })
      else if (w === '--group') resources.push({ resource: 'GROUP', name: next() })
      else if (w === '--transactional-id') resources.push({ resource: 'TRANSACTIONAL_ID', name: next() })
      else if (w === '--cluster') resources.push({ resource: 'CLUSTER', name: 'kafka-cluster' })
      else assert.fail(`unexpected argument ${w} in: ${words.join(' ')}`)
    }
    assert.ok(words.includes('--add') && pattern, words.join(' '))
    for (const p of principals) for (const r of resources) for (const op of ops) out.push({ ...p, ...r, pattern, operation: op as AclRule['operation'] })
  }
  return out
}

test('compose/kafka-start.sh and compose/acls.sh are what the catalog and the security code generate today', () => {
  assert.equal(readFileSync(KAFKA_START_SCRIPT, 'utf8'), kafkaStartScript(), `compose/kafka-start.sh is out of date: run ${REGENERATE_SECURITY}`)
  assert.equal(readFileSync(ACLS_SCRIPT, 'utf8'), aclsScript(), `compose/acls.sh is out of date: run ${REGENERATE_SECURITY}`)
  for (const f of [KAFKA_START_SCRIPT, ACLS_SCRIPT]) assert.ok((statSync(f).mode & 0o111) !== 0, `${f} is not executable`)
})

test('acls.sh grants exactly deriveAcls() plus the Confluent registry\'s own entries, each principal only its own, as the admin', t => {
  const { status, stderr, calls, userCalls, login } = runAclScript(t, readFileSync(ACLS_SCRIPT, 'utf8'))
  assert.equal(status, 0, stderr)
  assert.deepEqual(userCalls, [], 'a user the cluster has was made again')
  assert.deepEqual(login, ['security.protocol=SASL_PLAINTEXT', `sasl.mechanism=${SCRAM_MECHANISM}`, 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="the-admin-password";'])
  const granted = aclsOfCalls(calls)
  const keys = granted.map(aclKey)
  assert.equal(new Set(keys).size, keys.length, 'an entry granted twice')
  assert.deepEqual(new Set(keys), new Set(composeAcls().map(aclKey)))
  // Every entry of the local stack's ACLs, and beyond them only the registry's storage and the console's DENY on it.
  const local = new Set(deriveAcls().map(aclKey))
  for (const r of deriveAcls()) assert.ok(keys.includes(aclKey(r)), `missing ${aclKey(r)}`)
  const extra = granted.filter(r => !local.has(aclKey(r)))
  assert.deepEqual(new Set(extra.map(aclKey)), new Set(confluentRegistryAcls().map(aclKey)))
  for (const r of extra) {
    assert.ok(r.principal === REGISTRY_PRINCIPAL || (r.principal === 'gateway' && r.permission === 'DENY'), aclKey(r))
  }
  // The console is kept off Confluent's storage as off Apicurio's.
  for (const r of deriveAcls().filter(r => r.principal === 'gateway' && r.permission === 'DENY' && r.name === 'kafkasql-journal')) {
    assert.ok(keys.includes(aclKey({ ...r, name: '_schemas' })), `gateway ${r.operation} DENY on _schemas`)
  }
  // No super user gets an ACL, and nothing is granted to everyone.
  assert.ok(!granted.some(r => r.principal === ADMIN_PRINCIPAL || r.principal === '*'))
})

test('acls.sh drifts with the catalog: a rule more or less changes what it grants', t => {
  const fewer = deriveAcls().filter(r => !(r.principal === 'checkout-api' && r.name === 'orders.confirmed'))
  const granted = new Set(aclsOfCalls(runAclScript(t, aclsScript(fewer)).calls).map(aclKey))
  assert.ok(!granted.has('checkout-api|TOPIC|LITERAL|orders.confirmed|WRITE|ALLOW'))
  assert.ok(granted.has('checkout-api|TOPIC|LITERAL|orders.new|WRITE|ALLOW'))
  assert.equal(granted.size, fewer.length)
})

test('acls.sh makes the SCRAM users the cluster lacks, with compose/.env\'s password, and stops when compose/.env has none', t => {
  const env = Object.fromEntries(composePrincipals().map(p => [passwordVar(p), `pw-${p}`]))
  const lacking = scramPrincipals().slice(-1)[0]!
  const made = runAclScript(t, readFileSync(ACLS_SCRIPT, 'utf8'), env, scramPrincipals().filter(u => u !== lacking))
  assert.equal(made.status, 0, made.stderr)
  assert.equal(made.userCalls.length, 1)
  const call = made.userCalls[0]!
  for (const [flag, value] of [['--alter', undefined], ['--add-config', `${SCRAM_MECHANISM}=[password=pw-${lacking}]`], ['--entity-type', 'users'], ['--entity-name', lacking], ['--command-config', undefined]] as const) {
    assert.ok(call.includes(flag), `${flag} in ${call.join(' ')}`)
    if (value !== undefined) assert.equal(call[call.indexOf(flag) + 1], value)
  }
  // Without its password (compose/.env from before the principal existed): a clear failure, after the ACLs.
  const missing = runAclScript(t, readFileSync(ACLS_SCRIPT, 'utf8'), { ...env, [passwordVar(lacking)]: '' }, scramPrincipals().filter(u => u !== lacking))
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, new RegExp(`O usuário SCRAM ${lacking} não existe no Kafka .*tsx infra/src/compose-secrets\\.ts`))
  assert.ok(missing.calls.length > 0, 'the ACLs were not applied')
})

test('kafka-start.sh formats the storage with every SCRAM user of scramPrincipals() and refuses missing passwords', () => {
  const script = readFileSync(KAFKA_START_SCRIPT, 'utf8')
  const added = [...script.matchAll(/--add-scram "([^=]+)=\[name=([^,]+),password=\$\{(\w+)\}\]"/g)].map(m => ({ mechanism: m[1], name: m[2], variable: m[3] }))
  assert.deepEqual(added.map(a => a.name), scramPrincipals())
  for (const a of added) {
    assert.equal(a.mechanism, SCRAM_MECHANISM)
    assert.equal(a.variable, passwordVar(a.name!))
  }
  // The script stops, naming the variables and the command, when compose/.env lacks a password.
  const r = spawnSync('bash', [KAFKA_START_SCRIPT], { env: { PATH: process.env.PATH, [passwordVar(ADMIN_PRINCIPAL)]: 'x' }, encoding: 'utf8' })
  assert.equal(r.status, 1)
  assert.match(r.stderr, /Faltam senhas do Kafka em compose\/\.env:.*VITRINE_KAFKA_PASSWORD_CONTROLLER/)
  assert.doesNotMatch(r.stderr, / VITRINE_KAFKA_PASSWORD_ADMIN\b/)
  assert.match(r.stderr, /tsx infra\/src\/compose-secrets\.ts/)
})

test('kafka-start.sh gives the image the local broker\'s security lines (brokerSecurityLines), passwords included', () => {
  const credentials = Object.fromEntries(composePrincipals().map(p => [p, `pw-${p}-${'x'.repeat(8)}`]))
  const script = readFileSync(KAFKA_START_SCRIPT, 'utf8')
  const exports = script.split('\n').filter(l => l.startsWith('export KAFKA_')).join('\n')
  // bash evaluates the exports as the container does; the image's wrapper maps KAFKA_A_B___C__D to a.b-c_d.
  const r = spawnSync('bash', ['-c', `${exports}\nenv -0`], { env: { PATH: process.env.PATH, ...Object.fromEntries(composePrincipals().map(p => [passwordVar(p), credentials[p]!])) }, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const properties = new Map(r.stdout.split('\0').filter(kv => kv.startsWith('KAFKA_')).map(kv => {
    const name = kv.slice(0, kv.indexOf('='))
    const property = name.slice('KAFKA_'.length).toLowerCase().replace(/_/g, '.').replace(/\.\.\./g, '-').replace(/\.\./g, '_')
    return [property, kv.slice(kv.indexOf('=') + 1)]
  }))
  const local = brokerSecurityLines('scram', credentials, COMPOSE_CLIENT_LISTENERS)
  const want = new Map([['listener.security.protocol.map', local.protocols.join(',')], ...local.lines.map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string])])
  assert.deepEqual(properties, want)
  assert.equal(properties.get('allow.everyone.if.no.acl.found'), 'false')
  assert.equal(properties.get('super.users'), 'User:admin;User:controller')
  // Every listener the compose files name gets SASL: no PLAINTEXT door left.
  for (const file of COMPOSE_FILES) {
    for (const [name, svc] of Object.entries(load(file).services)) {
      for (const listener of String(svc.environment?.KAFKA_LISTENERS ?? '').split(',').filter(Boolean)) {
        assert.match(properties.get('listener.security.protocol.map') ?? '', new RegExp(`(^|,)${listener.split(':')[0]}:SASL_PLAINTEXT(,|$)`), `${file}: ${name} ${listener}`)
      }
      assert.equal(svc.environment?.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, undefined, `${file}: ${name} sets its own protocol map (kafka-start.sh's is the one)`)
    }
  }
})

/** compose's `${VAR}` and `${VAR:?message}`, with the values of compose/.env. */
function interpolate (value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => {
    assert.ok(env[name] !== undefined, `compose/.env would need ${name}`)
    return env[name]!
  })
}

const jaasUser = (jaas: string): string | undefined => /username="([^"]+)"/.exec(jaas)?.[1]

test('every Kafka container starts through kafka-start.sh with compose/.env, and every client logs in as its own principal', t => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-compose-secrets-'))
  t.after(() => rmSync(stateDir, { recursive: true, force: true }))
  const credentials = kafkaCredentials(stateDir)
  const env = Object.fromEntries(composePrincipals().map(p => [passwordVar(p), credentials[p]!]))
  const one = load('compose.yaml').services
  const three = load('compose.3-brokers.yaml').services
  for (const [name, svc] of [...Object.entries(one), ...Object.entries(three)].filter(([, s]) => s.image?.startsWith('apache/kafka') && s.environment?.KAFKA_PROCESS_ROLES !== undefined)) {
    assert.deepEqual(svc.entrypoint, ['/bin/bash', '/vitrine/kafka-start.sh'], name)
    assert.equal(svc.env_file, '.env', name)
    assert.ok(svc.volumes?.includes('./kafka-start.sh:/vitrine/kafka-start.sh:ro'), name)
    // The healthcheck logs in (the listeners take SASL only), without the broker's JMX agent (its port is taken).
    assert.match(svc.healthcheck?.test.join(' ') ?? '', /^CMD-SHELL KAFKA_OPTS= \/opt\/kafka\/bin\/\S+ .*--command-config \/tmp\/vitrine-(admin|controller)\.properties/, name)
  }
  assert.equal(three['kafka-controller']?.entrypoint?.[1], '/vitrine/kafka-start.sh')

  // The admin's tools: topic-init gets the admin's password and nothing else; acl-init every password (it makes missing users).
  const topicInit = one['topic-init']
  assert.deepEqual(Object.keys(topicInit?.environment ?? {}).filter(k => k.startsWith('VITRINE_KAFKA_PASSWORD_')), [passwordVar(ADMIN_PRINCIPAL)])
  assert.equal(one['acl-init']?.env_file, '.env')
  for (const name of ['topic-init', 'acl-init']) assert.equal(one[name]?.depends_on?.kafka?.condition, 'service_healthy', name)
  assert.deepEqual(one['acl-init']?.entrypoint, ['/bin/sh', '/vitrine/acls.sh'])
  assert.ok(one['acl-init']?.volumes?.includes('./acls.sh:/vitrine/acls.sh:ro'))
  assert.deepEqual(Object.keys(three['acl-init']?.depends_on ?? {}).sort(), ['kafka-2', 'kafka-3'])

  // The registry and Connect wait for their ACLs, and log in as the registry and connect principals.
  const registry = one['schema-registry']!
  assert.equal(registry.depends_on?.['acl-init']?.condition, 'service_completed_successfully')
  assert.equal(registry.environment?.SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL, 'SASL_PLAINTEXT')
  assert.equal(registry.environment?.SCHEMA_REGISTRY_KAFKASTORE_SASL_MECHANISM, SCRAM_MECHANISM)
  const registryJaas = interpolate(String(registry.environment?.SCHEMA_REGISTRY_KAFKASTORE_SASL_JAAS_CONFIG), env)
  assert.equal(registryJaas, `org.apache.kafka.common.security.scram.ScramLoginModule required username="${REGISTRY_PRINCIPAL}" password="${credentials[REGISTRY_PRINCIPAL]}";`)
  for (const file of COMPOSE_FILES) {
    const servers = load(file).services['schema-registry']?.environment?.SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS
    if (servers !== undefined) for (const s of String(servers).split(',')) assert.match(s, /^SASL_PLAINTEXT:\/\//, file)
  }

  const connect = one.connect!
  assert.equal(connect.depends_on?.['acl-init']?.condition, 'service_completed_successfully')
  const worker = Object.fromEntries(Object.entries(connect.environment ?? {})
    .filter(([k]) => /^CONNECT_(PRODUCER_|CONSUMER_|ADMIN_)?(SECURITY_PROTOCOL|SASL_MECHANISM|SASL_JAAS_CONFIG)$/.test(k))
    .map(([k, v]) => [k.slice('CONNECT_'.length).toLowerCase().replace(/_/g, '.'), interpolate(String(v), env)]))
  assert.deepEqual(worker, connectLogin({ stateDir, kafkaAuth: 'scram' }))
  // The image prints every CONNECT_* value at start unless it is listed as sensitive.
  const sensitive = String(connect.environment?.SENSITIVE_PROPERTIES ?? '').split(',')
  for (const k of Object.keys(connect.environment ?? {}).filter(k => k.endsWith('SASL_JAAS_CONFIG'))) assert.ok(sensitive.includes(k), `${k} would be logged`)

  // kafka-ui is the instructor's console: the admin.
  const ui = one['kafka-ui']!
  assert.equal(ui.environment?.KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL, 'SASL_PLAINTEXT')
  assert.equal(jaasUser(interpolate(String(ui.environment?.KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG), env)), ADMIN_PRINCIPAL)

  // Every password variable the files use is one compose/.env holds.
  for (const file of COMPOSE_FILES) {
    for (const m of readFileSync(join(ROOT, 'compose', file), 'utf8').matchAll(/\$\{(VITRINE_KAFKA_PASSWORD_\w+)/g)) assert.ok(m[1]! in env, `${file} uses ${m[1]}`)
  }
})

test('compose\'s registry takes writes only through registry-proxy (infra/src/registry-proxy.ts), with the principals\' compose/.env passwords, as make up', t => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-compose-registry-'))
  t.after(() => rmSync(stateDir, { recursive: true, force: true }))
  const credentials = kafkaCredentials(stateDir)
  const env = Object.fromEntries(composePrincipals().map(p => [passwordVar(p), credentials[p]!]))
  const file = load('compose.yaml')
  const registry = file.services['schema-registry']!
  const proxy = file.services['registry-proxy']!

  // The registry itself is published in neither layout: only the compose network reaches it.
  for (const f of COMPOSE_FILES) {
    const svc = load(f).services['schema-registry']
    assert.equal(svc?.ports, undefined, `${f}: schema-registry publishes ${JSON.stringify(svc?.ports)}`)
    assert.equal(svc?.network_mode, undefined, f)
  }
  const backendPort = Number(new URL(String(registry.environment?.SCHEMA_REGISTRY_LISTENERS)).port)

  // The proxy is our own program, from the repository mounted read-only, on Node's own TypeScript support.
  assert.deepEqual(proxy.volumes, ['..:/vitrine:ro'])
  assert.equal(proxy.working_dir, '/vitrine')
  const command = proxy.command ?? []
  assert.deepEqual(command.slice(0, 2), ['node', '--experimental-transform-types'])
  const script = command.indexOf('infra/src/registry-proxy.ts')
  assert.ok(script > 0 && existsSync(join(ROOT, command[script]!)), JSON.stringify(command))
  assert.ok(command.slice(1, script).every(a => a.startsWith('--')), 'only Node options before the script')
  // It forwards to cp-schema-registry as is (the Confluent API at its root) and checks logins with compose/.env's passwords.
  assert.equal(proxy.env_file, '.env')
  const options = proxyOptions(command.slice(script + 1), env)
  assert.deepEqual(options.backend, { host: 'schema-registry', port: backendPort, api: 'confluent' })
  assert.ok(options.passwords !== 'none' && 'credentials' in options.passwords, 'writes need a login')
  assert.deepEqual(options.passwords.credentials(), composeEnvCredentials(env).credentials)
  assert.deepEqual(Object.keys(options.passwords.credentials()).sort(), scramPrincipals().sort())
  // On every interface of its container; the host publishes it on 127.0.0.1 at the registry's usual port.
  assert.equal(options.listenHost, '0.0.0.0')
  assert.deepEqual(proxy.ports, [`127.0.0.1:8081:${options.listenPort}`])
  assert.equal(proxy.depends_on?.['schema-registry']?.condition, 'service_healthy')
  assert.match(proxy.healthcheck?.test.join(' ') ?? '', new RegExp(`http://127\\.0\\.0\\.1:${options.listenPort}/subjects`))

  // Every client of the registry in compose goes through the proxy: kafka-ui as the admin, the services' address.
  const proxyUrl = `http://registry-proxy:${options.listenPort}`
  const ui = file.services['kafka-ui']!
  assert.equal(ui.environment?.KAFKA_CLUSTERS_0_SCHEMAREGISTRY, proxyUrl)
  assert.equal(ui.environment?.KAFKA_CLUSTERS_0_SCHEMAREGISTRYAUTH_USERNAME, ADMIN_PRINCIPAL)
  assert.equal(interpolate(String(ui.environment?.KAFKA_CLUSTERS_0_SCHEMAREGISTRYAUTH_PASSWORD), env), credentials[ADMIN_PRINCIPAL])
  assert.equal(ui.depends_on?.['registry-proxy']?.condition, 'service_healthy')
  assert.equal(file['x-vitrine-env']?.SCHEMA_REGISTRY_URL, proxyUrl)
  for (const f of COMPOSE_FILES) {
    for (const [name, svc] of Object.entries(load(f).services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) assert.doesNotMatch(String(v), /\/\/schema-registry[:/]/, `${f}: ${name}'s ${k} bypasses the proxy`)
    }
  }
})

test('compose-secrets writes compose/.env with the state folder\'s passwords, mode 600, keeping the user\'s own lines', t => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-compose-env-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const stateDir = join(dir, 'state')
  const file = join(dir, '.env')
  assert.equal(writeComposeEnv(stateDir, file), file)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const credentials = kafkaCredentials(stateDir)
  const vars = (text: string): Record<string, string> => Object.fromEntries(text.split('\n').filter(l => /^\w+=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  assert.deepEqual(vars(readFileSync(file, 'utf8')), Object.fromEntries(composePrincipals().map(p => [passwordVar(p), credentials[p]])))
  // Run again (a user's own line added in between): the same passwords, the line kept, nothing twice.
  const before = readFileSync(file, 'utf8')
  const text = composeEnvText(credentials, `COMPOSE_PROJECT_NAME=vitrine\n${before}`)
  assert.equal(text.match(/VITRINE_KAFKA_PASSWORD_ADMIN=/g)?.length, 1)
  assert.match(text, /^COMPOSE_PROJECT_NAME=vitrine$/m)
  assert.equal(writeComposeEnv(stateDir, file), file)
  assert.equal(readFileSync(file, 'utf8'), before)
  // compose/.env itself is never in git.
  const ignored = spawnSync('git', ['check-ignore', '-q', COMPOSE_ENV], { cwd: ROOT })
  assert.equal(ignored.status, 0, 'compose/.env is not git-ignored')
})

test('no password is committed in compose/: logins come from compose/.env; only the local stack\'s known dev database password appears', () => {
  const devDb = new URL(databaseUrl(defaultSettings())).password
  const files = readdirSync(join(ROOT, 'compose')).filter(f => !f.startsWith('.'))
  const tracked = spawnSync('git', ['ls-files', 'compose'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
  assert.ok(!tracked.includes('compose/.env'), 'compose/.env is committed')
  for (const f of files) {
    const text = readFileSync(join(ROOT, 'compose', f), 'utf8')
    // password="…", password=…, "password": "…", PASSWORD: …: a literal must be a variable or the dev database's.
    for (const m of text.matchAll(/password\\?"?\s*[=:]\s*\\?"?([^"\s,;\\}\]]*)/gi)) {
      const value = m[1]!
      if (value === '' || value.startsWith('$')) continue
      assert.equal(value, devDb, `${f}: a password literal "${value}" (${m[0]})`)
    }
    for (const m of text.matchAll(/postgres:\/\/[^:]+:([^@]+)@/g)) assert.equal(m[1], devDb, `${f}: ${m[0]}`)
  }
})

test('compose: every published port is bound to 127.0.0.1, in both layouts, and no container shares the host\'s network', () => {
  for (const file of COMPOSE_FILES) {
    const { services } = load(file)
    let count = 0
    for (const [name, svc] of Object.entries(services)) {
      assert.notEqual(svc.network_mode, 'host', `${file}: ${name} on the host's network publishes every port it opens`)
      for (const p of svc.ports ?? []) {
        count++
        // The short form only: the long form (an object) or a bare port would bind every interface unless host_ip is set.
        assert.equal(typeof p, 'string', `${file}: ${name} publishes ${JSON.stringify(p)}`)
        assert.match(p as string, /^127\.0\.0\.1:\d+:\d+$/, `${file}: ${name} publishes ${String(p)}`)
      }
    }
    assert.ok(count > 0, file)
  }
})
