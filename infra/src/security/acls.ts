import type { ServiceName, TopicSpec } from '@vitrine/contracts'
import { DLQ_TOPIC, LAB_PREFIX, SERVICES, TOPICS, writersOf } from '@vitrine/contracts'

// Who may do what on the Kafka cluster, derived from the topic catalog (contracts/src/topics.ts):
// one principal per service, the registry and the admin. Pure: infra/src/security/kafka-auth.ts
// applies it to a broker, tests compare a broker's answers with it.
//
// Rules of thumb behind every entry:
// - A topic's writers get WRITE, its readers READ, both DESCRIBE (Kafka implies DESCRIBE from READ
//   and WRITE; it is listed anyway so `infra/bin/kafka acls --list` reads like the catalog).
// - Topics are LITERAL names (with the run's topic prefix): a service never gets a whole namespace.
// - Groups, transactional ids and the few operational topics are PREFIXED where their names carry a
//   suffix or a random part chosen at run time (KAFKA_GROUP_SUFFIX, a reader's uuid, an instance id).
// - Only `admin` is a super user (with `controller`, which only the controller listener accepts):
//   topics, the catalog and the control plane run as admin; nothing else bypasses ACLs.
// - `exercises` (the exercises' setups and checkers) owns the `ex*` topics and groups, and may read
//   the shop's topics and look at its groups, never write them: a checker judges, it forges nothing.
// - `drill` holds no standing ACL: a chaos drill that needs a forbidden write (a record no reader can
//   decode, into a topic only its writer service may write) gets drillAcls() for the drill's length
//   and loses them after (infra/src/security/drill-grant.ts).

export const ADMIN_PRINCIPAL = 'admin'
/** The brokers' identity on the controller listener (SASL/PLAIN, see kafka-auth.ts); no client listener accepts it. */
export const CONTROLLER_PRINCIPAL = 'controller'
/** Apicurio Registry's kafkasql storage (infra/src/stack.ts). */
export const REGISTRY_PRINCIPAL = 'registry'
/** The chaos drills' forbidden writes: no ACL of its own, only a grant for one drill (drill-grant.ts). */
export const DRILL_PRINCIPAL = 'drill'
/** The exercises' setups and checkers (infra/src/exercises): exerciseAcls(). */
export const EXERCISES_PRINCIPAL = 'exercises'
/**
 * Where the exercises' topics and groups start (`ex01.mensagens`, `ex03-relatorios`): no catalog topic
 * and no service group does (a unit test keeps it so).
 */
export const EXERCISE_PREFIX = 'ex'

/** Apicurio's storage topics, the same list the gateway's console protects (services/gateway/src/lib/kafka-console.ts). */
export const REGISTRY_TOPICS = ['kafkasql-journal', 'kafkasql-snapshots', 'registry-events'] as const

export type AclResource = 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER'
export type AclPattern = 'LITERAL' | 'PREFIXED'
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS'
export type AclPermission = 'ALLOW' | 'DENY'

/** One ACL entry, as `kafka-acls --list` shows it (principal without the `User:` part). */
export interface AclRule {
  principal: string
  resource: AclResource
  name: string
  pattern: AclPattern
  operation: AclOperation
  permission: AclPermission
  /** Why this entry exists, in one line (shown by the list command and the UI later). */
  why: string
}

export interface DeriveOptions {
  /** TOPIC_PREFIX of the run: a test's prefixed copy of the catalog gets the same ACLs under its prefix. */
  prefix?: string
  catalog?: readonly TopicSpec[]
}

/** Every principal that gets a SCRAM user: the admin, each service of the catalog, the registry, the drills', the exercises'. */
export function scramPrincipals (): string[] {
  return [ADMIN_PRINCIPAL, ...SERVICES, REGISTRY_PRINCIPAL, DRILL_PRINCIPAL, EXERCISES_PRINCIPAL]
}

export const SUPER_USERS = [ADMIN_PRINCIPAL, CONTROLLER_PRINCIPAL] as const

/** A group id that is the service's own: `<base>` or `<base>-…` (KAFKA_GROUP_SUFFIX is `-t<id>` in tests, a reader appends `-<uuid>`). */
function ownGroup (principal: string, base: string, why: string, operations: AclOperation[] = ['READ', 'DESCRIBE']): AclRule[] {
  return operations.flatMap(operation => [
    { principal, resource: 'GROUP' as const, name: base, pattern: 'LITERAL' as const, operation, permission: 'ALLOW' as const, why },
    { principal, resource: 'GROUP' as const, name: `${base}-`, pattern: 'PREFIXED' as const, operation, permission: 'ALLOW' as const, why }
  ])
}

function allow (principal: string, resource: AclResource, name: string, pattern: AclPattern, operations: AclOperation[], why: string): AclRule[] {
  return operations.map(operation => ({ principal, resource, name, pattern, operation, permission: 'ALLOW' as const, why }))
}

/**
 * The ACLs of every principal, in a stable order. `prefix` is the run's TOPIC_PREFIX: topic names,
 * Connect's group and internal topics and the transactional ids carry it, as the services build them.
 */
export function deriveAcls (options: DeriveOptions = {}): AclRule[] {
  const prefix = options.prefix ?? ''
  const catalog = options.catalog ?? TOPICS
  const rules: AclRule[] = []
  const t = (name: string): string => prefix + name

  for (const service of SERVICES) {
    const writes = catalog.filter(spec => writersOf(spec).includes(service))
    const reads = catalog.filter(spec => (spec.readers as readonly string[]).includes(service))
    for (const spec of writes) rules.push(...allow(service, 'TOPIC', t(spec.name), 'LITERAL', ['WRITE', 'DESCRIBE'], `catálogo: ${service} escreve ${spec.name}`))
    for (const spec of reads) rules.push(...allow(service, 'TOPIC', t(spec.name), 'LITERAL', ['READ', 'DESCRIBE'], `catálogo: ${service} lê ${spec.name}`))
    rules.push(...serviceExtras(service, prefix, writes, catalog))
  }

  // Apicurio keeps schemas in its own topics and creates them on its first start; each instance
  // reads the journal from the start in a group of its own (`apicurio-<uuid>`: its consumer.group-prefix).
  for (const name of REGISTRY_TOPICS) {
    rules.push(...allow(REGISTRY_PRINCIPAL, 'TOPIC', name, 'LITERAL', ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DESCRIBE_CONFIGS'], 'armazenamento do registry (kafkasql)'))
  }
  rules.push(...allow(REGISTRY_PRINCIPAL, 'GROUP', 'apicurio-', 'PREFIXED', ['READ', 'DESCRIBE'], 'grupo do registry (um por instância)'))
  rules.push(...exerciseAcls(prefix, catalog))
  return dedupe(rules)
}

/**
 * The exercises' setups and checkers (infra/src/exercises, run by the control plane and `make
 * exercicio`). Their own topics `<prefix>ex…` are made from scratch, written, read, reconfigured
 * (exercise 12: cleanup.policy) and deleted; their groups `ex…` get offsets set and are deleted. The
 * shop's topics are only read (exercises 5 and 10 follow an order's events) and its groups only
 * described (exercise 4 reads payment's committed offsets). Their readers never join a group, but
 * librdkafka needs a group id: kit's KafkaReader names it `<client id>-<uuid>`.
 */
function exerciseAcls (prefix: string, catalog: readonly TopicSpec[]): AclRule[] {
  const e = EXERCISES_PRINCIPAL
  const rules: AclRule[] = [
    ...allow(e, 'TOPIC', prefix + EXERCISE_PREFIX, 'PREFIXED', ['CREATE', 'DELETE', 'READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'], 'exercícios: criam, escrevem, leem, configuram e apagam os seus tópicos ex*'),
    ...allow(e, 'GROUP', EXERCISE_PREFIX, 'PREFIXED', ['READ', 'DESCRIBE', 'DELETE'], 'exercícios: os grupos ex* (offsets da preparação, apagados ao recomeçar)'),
    ...allow(e, 'GROUP', 'vitrine-exercise', 'PREFIXED', ['READ', 'DESCRIBE'], 'exercícios: o grupo nunca usado dos leitores do kit'),
    ...allow(e, 'GROUP', 'vitrine-reader-', 'PREFIXED', ['READ', 'DESCRIBE'], 'exercícios: o grupo nunca usado dos leitores do kit')
  ]
  for (const spec of catalog) rules.push(...allow(e, 'TOPIC', prefix + spec.name, 'LITERAL', ['READ', 'DESCRIBE'], `exercícios: os corretores leem ${spec.name}`))
  for (const service of SERVICES) {
    if (service !== 'connect') rules.push(...ownGroup(e, service, `exercícios: os corretores olham o grupo do ${service}`, ['DESCRIBE']))
  }
  return rules
}

/** What a service needs beyond its catalog topics, each with the code that needs it. */
function serviceExtras (service: ServiceName, prefix: string, writes: readonly TopicSpec[], catalog: readonly TopicSpec[]): AclRule[] {
  const rules: AclRule[] = []
  const t = (name: string): string => prefix + name
  // service-kit consumers (plugins/consumers.ts) join `<service>` + KAFKA_GROUP_SUFFIX; checkout-api's
  // catalog replica `checkout-api-catalog`; sales-counter's restore/viewer readers `sales-counter-…-<uuid>`;
  // the gateway's live feed `gateway`, its browser and KPI readers `gateway-…-<uuid>`; Flink `streams`.
  if (service !== 'connect') rules.push(...ownGroup(service, service, `grupos de consumo do ${service}`))
  // kit's KafkaReader without a client id (firstRecords: the DLQ watch) names its never-joined group `vitrine-reader-<uuid>`.
  const deadLetters = writes.some(spec => spec.name === DLQ_TOPIC)
  if (deadLetters) {
    rules.push(...allow(service, 'GROUP', 'vitrine-reader-', 'PREFIXED', ['READ', 'DESCRIBE'], 'leitor do kit (DlqWatch) sem grupo próprio'))
    // Every service that dead-letters warns before the DLQ's oldest record expires (kit's DlqWatch reads it).
    rules.push(...allow(service, 'TOPIC', t(DLQ_TOPIC), 'LITERAL', ['READ', 'DESCRIBE'], `${service} vigia a idade do registro mais antigo da DLQ`))
  }
  switch (service) {
    case 'sales-counter':
      // Exactly-once: its transactional id is `${prefix}sales-counter-<instance><suffix>` (services/sales-counter/src/counter.ts).
      rules.push(...allow(service, 'TRANSACTIONAL_ID', t('sales-counter-'), 'PREFIXED', ['WRITE', 'DESCRIBE'], 'transações do sales-counter (exactly-once)'))
      break
    case 'streams':
      // Flink's exactly-once sinks: transactional-id-prefix is the job's pipeline name `vitrine-${prefix}<job>` (services/streams/src/sql.ts).
      rules.push(...allow(service, 'TRANSACTIONAL_ID', `vitrine-${prefix}`, 'PREFIXED', ['WRITE', 'DESCRIBE'], 'transações dos jobs do Flink SQL'))
      break
    case 'connect':
      // The worker's group and internal topics carry the prefix (infra/src/streams-connect.ts); it
      // creates its internal topics and checks their cleanup policy; Debezium's heartbeats go to `connect.heartbeat.*`.
      rules.push(...allow(service, 'GROUP', t('connect'), 'LITERAL', ['READ', 'DESCRIBE'], 'grupo do worker do Kafka Connect'))
      for (const name of ['connect.configs', 'connect.offsets', 'connect.status']) {
        rules.push(...allow(service, 'TOPIC', t(name), 'LITERAL', ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DESCRIBE_CONFIGS'], 'tópico interno do Kafka Connect'))
      }
      rules.push(...allow(service, 'TOPIC', t('connect.heartbeat'), 'PREFIXED', ['WRITE', 'DESCRIBE', 'CREATE'], 'heartbeats do Debezium'))
      break
    case 'gateway':
      rules.push(...gatewayConsole(prefix, catalog))
      break
  }
  return rules
}

/**
 * The gateway's Kafka console (services/gateway/src/lib/kafka-console.ts) and its lag views: it
 * lists and describes every topic and group, and creates and deletes scratch topics for the
 * instructor (the HTTP side is the admin surface). It may never delete a catalog, Connect or
 * registry topic: a DENY wins over any ALLOW, so the console's own check is backed by the broker.
 */
function gatewayConsole (prefix: string, catalog: readonly TopicSpec[]): AclRule[] {
  const g = 'gateway'
  const rules: AclRule[] = [
    ...allow(g, 'TOPIC', '*', 'LITERAL', ['DESCRIBE', 'DESCRIBE_CONFIGS', 'CREATE', 'DELETE'], 'console: lista, descreve, cria e apaga tópicos de rascunho'),
    // The console's message browser and the live feed read any topic: the catalog's (retry tiers and CDC
    // included), scratch topics, the exercises' ex.*, the registry's journal. Reading forges nothing;
    // a topic it could see but not read would show an empty page while its offsets say otherwise.
    ...allow(g, 'TOPIC', '*', 'LITERAL', ['READ'], 'console e feed ao vivo: lê as mensagens de qualquer tópico'),
    ...allow(g, 'GROUP', '*', 'LITERAL', ['DESCRIBE'], 'console e métricas: lag de todos os grupos'),
    // The create form proposes the broker's default.replication.factor (a DescribeConfigs of the BROKER resource).
    ...allow(g, 'CLUSTER', 'kafka-cluster', 'LITERAL', ['DESCRIBE_CONFIGS'], 'console: lê a replicação padrão do broker')
  ]
  rules.push(...gatewayLabs(prefix))
  // Except Kafka Connect's own topics (connect.configs holds the connectors' settings, database password
  // included) and the registry's storage (its alone): the browser says the broker refused them.
  rules.push({ principal: g, resource: 'TOPIC', name: `${prefix}connect.`, pattern: 'PREFIXED', operation: 'READ', permission: 'DENY', why: 'console: a configuração do Connect (com a senha do banco) não se lê' })
  for (const name of REGISTRY_TOPICS) rules.push({ principal: g, resource: 'TOPIC', name, pattern: 'LITERAL', operation: 'READ', permission: 'DENY', why: 'console: o armazenamento do registry é só dele' })
  const protectedTopics = [...catalog.map(spec => ({ name: prefix + spec.name, pattern: 'LITERAL' as const })), ...REGISTRY_TOPICS.map(name => ({ name, pattern: 'LITERAL' as const })), { name: `${prefix}connect.`, pattern: 'PREFIXED' as const }]
  for (const p of protectedTopics) rules.push({ principal: g, resource: 'TOPIC', name: p.name, pattern: p.pattern, operation: 'DELETE', permission: 'DENY', why: 'console: tópico do catálogo, do registry ou do Connect não se apaga' })
  return rules
}

/**
 * The concept labs (services/gateway/src/lib/lab-*.ts) run inside the gateway, as its principal: their
 * topics and groups are all under `<prefix>lab.` (LAB_PREFIX), which the gateway may create, write,
 * read, grow (ALTER: the partitions lab adds partitions) and delete. Nothing outside it.
 * Read-only on the cluster (DESCRIBE): the KRaft quorum (replication lab), the log segments
 * (compaction lab, DescribeLogDirs) and the ACLs themselves (the Kafka page's ACL tab, DescribeAcls).
 * Not CLUSTER ALTER, which the replication lab's preferred-leader election would need: it also
 * lets its holder create ACLs, so the gateway could grant itself anything.
 */
function gatewayLabs (prefix: string): AclRule[] {
  const g = 'gateway'
  const lab = prefix + LAB_PREFIX
  return [
    ...allow(g, 'TOPIC', lab, 'PREFIXED', ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS'], 'laboratórios: criam, escrevem, leem, aumentam e apagam os seus tópicos lab.*'),
    ...allow(g, 'GROUP', lab, 'PREFIXED', ['READ', 'DESCRIBE', 'DELETE'], 'laboratórios: os grupos de consumo lab.* (entram, confirmam offsets, são apagados)'),
    ...allow(g, 'CLUSTER', 'kafka-cluster', 'LITERAL', ['DESCRIBE'], 'laboratórios e página de ACLs: quórum KRaft, segmentos do log e as próprias ACLs (só leitura)')
  ]
}

/**
 * What a drill's forbidden write needs, granted to `drill` for that drill only: WRITE on the one topic
 * (LITERAL, the name with the run's prefix) and DESCRIBE, so its producer sees the topic's partitions.
 */
export function drillAcls (topic: string, drill: string): AclRule[] {
  return allow(DRILL_PRINCIPAL, 'TOPIC', topic, 'LITERAL', ['WRITE', 'DESCRIBE'], `simulação ${drill}: escrita proibida concedida só durante a simulação`)
}

function dedupe (rules: AclRule[]): AclRule[] {
  const seen = new Set<string>()
  return rules.filter(r => {
    const k = aclKey(r)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

export function aclKey (r: Omit<AclRule, 'why'>): string {
  return `${r.principal}|${r.resource}|${r.pattern}|${r.name}|${r.operation}|${r.permission}`
}

/**
 * What the ACLs say `principal` may do to the resource `name`, the way Kafka's
 * StandardAuthorizer decides: any matching DENY wins, else any matching ALLOW, else denied
 * (allow.everyone.if.no.acl.found=false). Super users may do everything.
 */
export function allowed (rules: readonly AclRule[], principal: string, resource: AclResource, name: string, operation: AclOperation): boolean {
  if ((SUPER_USERS as readonly string[]).includes(principal)) return true
  const matching = rules.filter(r => r.principal === principal && r.resource === resource && matches(r, name))
  // A DENY names its operation exactly; an ALLOW also grants what its operation implies.
  if (matching.some(r => r.permission === 'DENY' && r.operation === operation)) return false
  return matching.some(r => r.permission === 'ALLOW' && implies(r.operation, operation))
}

function matches (r: AclRule, name: string): boolean {
  if (r.pattern === 'PREFIXED') return name.startsWith(r.name)
  return r.name === '*' || r.name === name
}

/** Kafka: READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS. */
function implies (granted: AclOperation, wanted: AclOperation): boolean {
  if (granted === wanted) return true
  if (wanted === 'DESCRIBE') return ['READ', 'WRITE', 'DELETE', 'ALTER'].includes(granted)
  if (wanted === 'DESCRIBE_CONFIGS') return granted === 'ALTER_CONFIGS'
  return false
}

/**
 * The ACLs a test's prefixed copy of the catalog adds to the stack's own: what a test grants when it
 * starts and revokes when it ends. Shared entries (the service groups, the gateway's console) are
 * left out, so revoking them never takes anything from the stack or from another test.
 */
export function prefixOnlyAcls (prefix: string): AclRule[] {
  if (prefix === '') return []
  const base = new Set(deriveAcls().map(aclKey))
  return deriveAcls({ prefix }).filter(r => !base.has(aclKey(r)))
}
