import type Kafka from 'node-rdkafka'
import { ConfigResourceTypes, Producer, ProduceAcks, describeQuorumV2, kGetBootstrapConnection } from '@platformatic/kafka'
import type { Admin, Connection } from '@platformatic/kafka'
import type { KafkaReader } from '@vitrine/service-kit'
import { ShopError, invalidInput } from '@vitrine/service-kit'
import { adminAction, chaosCall } from './chaos.ts'
import { CONTROL_HINT } from './control.ts'
import type { ElectionResultType } from '@vitrine/service-kit/control-actions'
import type { ReplicationStateType, WriteResultType } from '../schemas/lab-replicacao.ts'
import { LAB_PREFIX } from '@vitrine/contracts'

// The Replicação lab (/api/lab/replicacao): what the cluster says about its brokers, its KRaft
// quorum and each partition's leader, replicas and ISR, read live; a lab producer writing with
// acks=all to a topic of RF 3 and min.insync.replicas=2, each answer kept (the broker's error code
// as the broker named it); a broker stopped or started through the control plane (as the Caos page
// does), and a preferred-leader election (the ElectLeaders request of `kafka-leader-election`), which
// the control plane sends as the Kafka admin: it needs ALTER on the cluster, which the gateway lacks.

export const LAB_TOPIC = `${LAB_PREFIX}replicacao`
export const LAB_TOPIC_PATTERN = '^lab\\.replicacao[a-z0-9._-]{0,80}$'
const LAB_RE = new RegExp(LAB_TOPIC_PATTERN)
/** What the lab needs: three replicas, and a write refused when fewer than two are in sync. */
export const LAB_RF = 3
export const LAB_MIN_ISR = 2
const LAB_PARTITIONS = 6
const WRITE_EVERY_MS = 500
const KEPT_WRITES = 30

/** The 1-broker cluster's answer to anything that needs three (pt-BR, the page shows it). */
export const NEEDS_THREE = 'Este laboratório precisa do cluster de 3 brokers com o controller KRaft separado: pare a loja (make down) e suba com make demo BROKERS=3.'

export interface ReplicationLabOptions {
  admin: Admin
  /** The gateway's node-rdkafka reader: its metadata includes Kafka's internal topics (@platformatic/kafka's leaves them out). */
  reader: KafkaReader
  brokers: string
  controlUrl: string
  controlTimeoutMs: number
  prefix: string
  /** The gateway's Kafka login for @platformatic/kafka (lib/kafka-login.ts): nothing on a PLAINTEXT cluster. */
  login?: { sasl?: NonNullable<ConstructorParameters<typeof Producer>[0]['sasl']> }
}

interface Component { name: string, alive: boolean, external: boolean }

/** The broker's own error name and number inside whatever the client wrapped it in. */
export function brokerError (err: unknown): { code: string, errno: number | null, message: string } {
  const seen = new Set<unknown>()
  const walk = (e: unknown): { code: string, errno: number | null, message: string } | undefined => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return undefined
    seen.add(e)
    const x = e as { apiId?: string, apiCode?: number, serverErrorMessage?: string | null, message?: string, errors?: unknown[], cause?: unknown }
    if (typeof x.apiId === 'string') return { code: x.apiId, errno: x.apiCode ?? null, message: x.serverErrorMessage ?? x.message ?? x.apiId }
    for (const inner of x.errors ?? []) { const found = walk(inner); if (found) return found }
    return walk(x.cause)
  }
  const found = walk(err)
  if (found) return found
  const e = err as { code?: string, message?: string }
  return { code: e.code ?? 'ERROR', errno: null, message: e.message ?? String(err) }
}

export class ReplicationLab {
  private producer: Producer<string, string, string, string> | undefined
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> | undefined
  private producerTopic: string | null = null
  private sent = 0
  private acked = 0
  private failed = 0
  private writes: WriteResultType[] = []

  constructor (private readonly o: ReplicationLabOptions) {}

  /** The lab topic's full name (the shop's TOPIC_PREFIX in front, as for every topic of ours). */
  topicName (name?: string): string {
    const bare = name ?? LAB_TOPIC
    if (!LAB_RE.test(bare)) throw invalidInput([{ field: 'topic', rule: 'pattern', message: `must match ${LAB_TOPIC_PATTERN}` }])
    return this.o.prefix + bare
  }

  private async components (): Promise<Component[] | null> {
    try {
      const { status, body } = await chaosCall(this.o.controlUrl, 'GET', '/components', Math.min(this.o.controlTimeoutMs, 5000))
      if (status !== 200) return null
      return ((body as { components?: Component[] }).components ?? []).filter(c => c.name.startsWith('kafka-'))
    } catch {
      return null
    }
  }

  /** A connection of the Admin's pool to any live broker (the requests below are forwarded to the controller). */
  private async connection (): Promise<Connection> {
    const admin = this.o.admin as unknown as Record<symbol, (cb: (err: Error | null, c?: Connection) => void) => void>
    return await new Promise<Connection>((resolve, reject) => {
      admin[kGetBootstrapConnection]!.call(this.o.admin, (err, c) => { if (err || !c) reject(err ?? new Error('no broker answers')); else resolve(c) })
    })
  }

  private async quorum (): Promise<Omit<ReplicationStateType['quorum'], 'separate' | 'running'>> {
    try {
      const conn = await this.connection()
      const answer = await describeQuorumV2.api.async(conn, [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }])
      const p = answer.topics[0]?.partitions[0]
      if (!p) return { leaderId: null, voters: [], observers: [], error: 'DescribeQuorum answered without the metadata partition' }
      return { leaderId: p.leaderId >= 0 ? p.leaderId : null, voters: p.currentVoters.map(v => v.replicaId).sort((a, b) => a - b), observers: p.observers.map(v => v.replicaId).sort((a, b) => a - b), error: null }
    } catch (err) {
      const e = brokerError(err)
      return { leaderId: null, voters: [], observers: [], error: `${e.code}: ${e.message}` }
    }
  }

  /** Brokers, quorum, every partition's leader and ISR, the lab topic, the producer: one reading of the cluster. */
  async state (name?: string): Promise<ReplicationStateType> {
    const topic = this.topicName(name)
    const admin = this.o.admin
    const [components, quorum, meta] = await Promise.all([this.components(), this.quorum(), this.o.reader.metadata()])
    const registered = new Set(meta.brokers.map(b => b.id))
    const ids = new Set<number>(registered)
    for (const c of components ?? []) { const m = /^kafka-(\d+)$/.exec(c.name); if (m) ids.add(Number(m[1])) }
    const leaders = new Map<number, number>()
    const hosted = new Map<number, number>()
    let partitions = 0
    let notPreferred = 0
    const underReplicated: Array<{ topic: string, partition: number, replicas: number[], isr: number[] }> = []
    let offline = 0
    const partitionsOf = (t: Kafka.TopicMetadata): Array<{ partition: number, leader: number, replicas: number[], isr: number[] }> =>
      [...t.partitions].sort((a, b) => a.id - b.id).map(p => ({ partition: p.id, leader: p.leader, replicas: [...(p.replicas ?? [])], isr: [...(p.isrs ?? [])].sort((a, b) => a - b) }))
    for (const t of meta.topics) {
      for (const p of partitionsOf(t)) {
        partitions++
        for (const r of p.replicas) { ids.add(r); hosted.set(r, (hosted.get(r) ?? 0) + 1) }
        if (p.leader >= 0) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1)
        else offline++
        if (p.replicas.length > 0 && p.leader !== p.replicas[0]) notPreferred++
        if (p.isr.length < p.replicas.length) underReplicated.push({ topic: t.name, ...p })
      }
    }
    const alive = (id: number): boolean | null => {
      if (components === null) return null
      const c = components.find(x => x.name === `kafka-${id}`)
      return c ? c.alive : null
    }
    const brokers = [...ids].sort((a, b) => a - b).map(id => ({
      id,
      component: `kafka-${id}`,
      running: alive(id),
      registered: registered.has(id),
      address: ((b) => b ? `${b.host}:${b.port}` : null)(meta.brokers.find(x => x.id === id)),
      leaders: leaders.get(id) ?? 0,
      replicas: hosted.get(id) ?? 0
    }))
    const controllerComponent = components?.find(c => c.name === 'kafka-controller')
    const labMeta = meta.topics.find(t => t.name === topic)
    let minInsync: number | null = null
    if (labMeta) {
      const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['min.insync.replicas'] }] }).catch(() => [])
      const v = Number(described?.configs.find(c => c.name === 'min.insync.replicas')?.value)
      minInsync = Number.isInteger(v) ? v : null
    }
    const clusterSize = brokers.length
    return {
      at: new Date().toISOString(),
      brokerCount: clusterSize,
      ready: clusterSize >= LAB_RF,
      hint: clusterSize >= LAB_RF ? null : NEEDS_THREE,
      controlPlane: components !== null,
      brokers,
      quorum: {
        ...quorum,
        // Separate when no broker is a voter (BROKERS=3: the controller is node 0 and votes alone).
        separate: quorum.voters.length > 0 ? quorum.voters.every(v => !registered.has(v) && !brokers.some(b => b.id === v)) : controllerComponent !== undefined,
        running: controllerComponent ? controllerComponent.alive : null
      },
      partitions,
      offline,
      notPreferred,
      underReplicated: underReplicated.slice(0, 50),
      underReplicatedCount: underReplicated.length,
      topic: {
        name: topic,
        exists: labMeta !== undefined,
        minInsyncReplicas: minInsync,
        partitions: (labMeta ? partitionsOf(labMeta) : []).map(p => ({ ...p, preferred: p.replicas[0] ?? -1 }))
      },
      producer: this.producerState()
    }
  }

  private producerState (): ReplicationStateType['producer'] {
    return { running: this.timer !== undefined, topic: this.producerTopic, sent: this.sent, acked: this.acked, failed: this.failed, recent: [...this.writes].reverse() }
  }

  private async requireCluster (): Promise<void> {
    const meta = await this.o.admin.metadata({ topics: [], forceUpdate: true })
    const comps = await this.components()
    const n = Math.max(meta.brokers.size, (comps ?? []).filter(c => /^kafka-\d+$/.test(c.name)).length)
    if (n < LAB_RF) throw new ShopError('SHOP_ERR_LAB_NEEDS_THREE_BROKERS', `the replication lab needs 3 brokers, this cluster has ${n}`, 409, { brokers: n, hint: NEEDS_THREE })
  }

  /** The lab topic: RF 3, min.insync.replicas=2; an existing one is left as it is. */
  async createTopic (name?: string): Promise<ReplicationStateType['topic']> {
    const topic = this.topicName(name)
    await this.requireCluster()
    const existing = await this.o.admin.listTopics()
    if (!existing.includes(topic)) {
      await this.o.admin.createTopics({ topics: [topic], partitions: LAB_PARTITIONS, replicas: LAB_RF, configs: [{ name: 'min.insync.replicas', value: String(LAB_MIN_ISR) }] })
        .catch((err: unknown) => {
          const e = brokerError(err)
          if (e.code === 'TOPIC_ALREADY_EXISTS') return
          throw new ShopError('SHOP_ERR_LAB_TOPIC', `the broker refused to create ${topic}: ${e.code} ${e.message}`, 409, { topic, brokerError: e.code })
        })
    }
    return (await this.state(name)).topic
  }

  async deleteTopic (name?: string): Promise<void> {
    const topic = this.topicName(name)
    if (this.producerTopic === topic) await this.stopProducer()
    if (!(await this.o.admin.listTopics()).includes(topic)) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, 404, { topic })
    await this.o.admin.deleteTopics({ topics: [topic] })
  }

  /** Writes one record every 0.5 s with acks=all and no retry: each answer is the broker's, as it gave it. */
  async startProducer (name?: string): Promise<ReplicationStateType['producer']> {
    const topic = this.topicName(name)
    await this.requireCluster()
    if (!(await this.o.admin.listTopics()).includes(topic)) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `topic ${topic} does not exist: create it first (POST /api/lab/replicacao/topic)`, 404, { topic })
    if (this.timer !== undefined && this.producerTopic === topic) return this.producerState()
    await this.stopProducer()
    this.producerTopic = topic
    this.sent = 0
    this.acked = 0
    this.failed = 0
    this.writes = []
    this.producer = new Producer({
      clientId: 'gateway-lab-replicacao',
      ...(this.o.login ?? {}),
      bootstrapBrokers: this.o.brokers.split(','),
      // One try: a refused write is shown as refused, with the broker's code, not retried out of sight.
      retries: 0,
      timeout: 5000,
      serializers: { key: s => Buffer.from(s ?? ''), value: s => Buffer.from(s ?? ''), headerKey: s => Buffer.from(s ?? ''), headerValue: s => Buffer.from(s ?? '') }
    })
    const tick = (): void => {
      if (this.writing !== undefined) return
      this.writing = this.writeOne().finally(() => { this.writing = undefined })
    }
    this.timer = setInterval(tick, WRITE_EVERY_MS)
    this.timer.unref()
    tick()
    return this.producerState()
  }

  private async writeOne (): Promise<void> {
    const producer = this.producer
    const topic = this.producerTopic
    if (!producer || !topic) return
    const n = ++this.sent
    const at = new Date().toISOString()
    try {
      // acks on each send: @platformatic/kafka takes it from the send's options only (else LEADER, acks=1).
      const r = await producer.send({ acks: ProduceAcks.ALL, messages: [{ topic, key: `chave-${n % 12}`, value: `escrita ${n} (${at})` }] })
      const offset = r.offsets?.[0]
      this.acked++
      this.keep({ n, at, ok: true, partition: offset?.partition ?? null, offset: offset !== undefined ? Number(offset.offset) : null, code: null, errno: null, message: null })
    } catch (err) {
      this.failed++
      const e = brokerError(err)
      this.keep({ n, at, ok: false, partition: null, offset: null, code: e.code, errno: e.errno, message: e.message })
      // No retry, so the client would not look again by itself: the next write goes to the leader the cluster names now.
      await producer.metadata({ topics: [topic], forceUpdate: true }).catch(() => {})
    }
  }

  private keep (w: WriteResultType): void {
    this.writes.push(w)
    if (this.writes.length > KEPT_WRITES) this.writes.shift()
  }

  async stopProducer (): Promise<ReplicationStateType['producer']> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    await this.writing
    const p = this.producer
    this.producer = undefined
    if (p) await p.close().catch(() => {})
    return this.producerState()
  }

  /** Stops or starts broker `id` through the control plane (its SIGTERM is a controlled shutdown). */
  async broker (id: number, action: 'stop' | 'start'): Promise<{ id: number, action: 'stop' | 'start', running: boolean }> {
    const comps = await this.components()
    // The brokers this cluster has: the control plane's (a stopped one included), else the metadata's.
    const known = comps !== null
      ? comps.map(c => /^kafka-(\d+)$/.exec(c.name)?.[1]).filter((x): x is string => x !== undefined).map(Number).sort((a, b) => a - b)
      : [...(await this.o.admin.metadata({ topics: [], forceUpdate: true })).brokers.keys()].sort((a, b) => a - b)
    if (!known.includes(id)) throw new ShopError('SHOP_ERR_BROKER_NOT_FOUND', `params.id: there is no broker ${id} (this cluster has ${known.join(', ') || 'none'})`, 404, { field: 'params.id', broker: id, known })
    // The shop's one broker is never stopped from here: the lab is about three.
    if (known.length < LAB_RF) throw new ShopError('SHOP_ERR_LAB_NEEDS_THREE_BROKERS', `the replication lab stops brokers only in a 3-broker cluster (this one has ${known.length})`, 409, { brokers: known.length, hint: NEEDS_THREE })
    if (comps === null) throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', 'the control plane is not reachable: brokers are stopped and started through it', 502, { service: 'control', hint: CONTROL_HINT })
    // A broker start waits until it registers again: longer than an ordinary control-plane call.
    const { status, body } = await chaosCall(this.o.controlUrl, 'POST', `/components/kafka-${id}/${action}`, Math.max(this.o.controlTimeoutMs, 150_000))
    if (status !== 200) {
      const b = body as { code?: `SHOP_ERR_${string}`, message?: string }
      throw new ShopError(b.code ?? 'SHOP_ERR_UPSTREAM', b.message ?? `the control plane answered ${status}`, status, { broker: id, action })
    }
    return { id, action, running: (body as { component?: { alive?: boolean } }).component?.alive === true }
  }

  /**
   * A preferred-leader election on every partition (what `kafka-leader-election --election-type
   * preferred --all-topic-partitions` sends), by the control plane as the Kafka admin. On one broker
   * every partition already is on its preferred leader, and the answer says so.
   */
  async electPreferred (): Promise<ElectionResultType> {
    const { status, body } = await adminAction(this.o.controlUrl, '/kafka/elect-leaders', {}, Math.max(this.o.controlTimeoutMs, 30_000), 'the preferred-leader election')
    if (status !== 200) {
      const b = body as { code?: `SHOP_ERR_${string}`, message?: string }
      throw new ShopError(b.code ?? 'SHOP_ERR_UPSTREAM', b.message ?? `the control plane answered ${status}`, status === 409 ? 409 : 502, { service: 'control' })
    }
    return body as ElectionResultType
  }

  async close (): Promise<void> {
    await this.stopProducer()
  }
}
