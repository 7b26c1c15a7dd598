import { randomBytes } from 'node:crypto'
import Kafka from 'node-rdkafka'
import type { Admin, Broker, Connection, Reader } from '@platformatic/kafka'
import { FindCoordinatorKeyTypes, consumerGroupDescribeV0, createAPI, describeGroupsV5, kGetConnection } from '@platformatic/kafka'
import { EventProducer, ShopError } from '@vitrine/service-kit'
import type { KafkaReader, Logger } from '@vitrine/service-kit'
import { ValidationFailed, lagOf } from './kafka-console.ts'
import type { LabGroupsState, LabGroupView, LabMemberView, LabTimelineEvent } from '../wire.ts'
import { LAB_PREFIX } from '@vitrine/contracts'

// The consumer groups lab (/api/lab/grupos): real node-rdkafka consumers of a lab group, started,
// slowed, closed and frozen by the instructor inside the gateway, on a `lab.grupos` topic fed by a
// small steady producer. What the page shows of the group (members, assignment, committed offsets)
// comes from the broker's describe; the members' rebalance callbacks only feed the timeline.

export const LAB_PROTOCOLS = ['eager', 'cooperative', 'consumer'] as const
export type LabProtocol = typeof LAB_PROTOCOLS[number]

/** Partitions of the lab topic: fewer than LAB_MAX_MEMBERS, so a class sees idle members with a fifth member. */
export const LAB_PARTITIONS = 4
/**
 * Members running at once, over every lab group. Each member's consume() call holds one of the
 * gateway's libuv threads while it waits for records (UV_THREADPOOL_SIZE: the supervisor gives the
 * services 16 unless set, infra/src/apps.ts; the Makefile exports 32), which the live feed's reader, the
 * console's reader, DNS and the file system also need.
 */
export const LAB_MAX_MEMBERS = 6
/** Groups shown side by side. */
export const LAB_MAX_GROUPS = 2
/** Classic groups: the broker drops a member whose heartbeats stop for this long (its minimum is 6 s). */
export const LAB_SESSION_TIMEOUT_MS = 6000
/** A member that stops polling for this long leaves the group on its own (librdkafka's max.poll.interval.ms). */
export const LAB_MAX_POLL_INTERVAL_MS = 10_000
const TIMELINE_SIZE = 60

const PROTOCOL_CONFIG: Record<LabProtocol, Record<string, string | number>> = {
  // Classic protocol, eager: every rebalance revokes every partition of every member first.
  eager: { 'partition.assignment.strategy': 'range', 'session.timeout.ms': LAB_SESSION_TIMEOUT_MS, 'heartbeat.interval.ms': 1000 },
  // Classic protocol, incremental: only the partitions that move are revoked.
  cooperative: { 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': LAB_SESSION_TIMEOUT_MS, 'heartbeat.interval.ms': 1000 },
  // KIP-848: the broker computes the assignment and the session timeout (group.consumer.session.timeout.ms, 45 s).
  consumer: { 'group.protocol': 'consumer' }
}

interface Member {
  name: string
  clientId: string
  consumer: Kafka.KafkaConsumer
  status: 'starting' | 'running' | 'frozen'
  delayMs: number
  consumed: number
  /** The partitions this member's rebalance callbacks gave it (the broker's describe is what the page shows). */
  held: Set<number>
}

interface Group {
  key: string
  id: string
  protocol: LabProtocol
  members: Map<string, Member>
  timeline: LabTimelineEvent[]
  /** Who held each partition last, from the callbacks: an assign names where a partition came from. */
  lastOwner: Map<number, string>
}

export interface LabGroupsOptions {
  admin: Admin
  reader: KafkaReader
  brokers: string
  prefix: string
  security: Record<string, string>
  log: Logger
}

type ConnectionGetter = { [kGetConnection]: (broker: Broker, cb: (err: Error | null, c?: Connection) => void) => void }

export class LabGroups {
  readonly topic: string
  private readonly groups = new Map<string, Group>()
  private producer: EventProducer | null = null
  private producing: NodeJS.Timeout | null = null
  private ratePerSec = 5
  private sent = 0
  private memberSeq = 0
  private groupSeq = 0
  private topicReady = false
  private snapshot: Promise<LabGroupsState> | null = null

  constructor (private readonly o: LabGroupsOptions) {
    this.topic = `${o.prefix}${LAB_PREFIX}grupos`
  }

  private groupOf (key: string): Group {
    const g = this.groups.get(key)
    if (!g) throw new ShopError('SHOP_ERR_NOT_FOUND', `no lab group ${key} (GET /api/lab/grupos lists them)`, 404, { field: 'params.group', group: key })
    return g
  }

  private memberOf (g: Group, name: string): Member {
    const m = g.members.get(name)
    if (!m) throw new ShopError('SHOP_ERR_NOT_FOUND', `no member ${name} in lab group ${g.key}`, 404, { field: 'params.member', group: g.key, member: name })
    return m
  }

  private membersInUse (): number {
    let n = 0
    for (const g of this.groups.values()) n += g.members.size
    return n
  }

  private async ensureTopic (): Promise<void> {
    if (this.topicReady) return
    const existing = await this.o.admin.listTopics()
    if (!existing.includes(this.topic)) {
      await this.o.admin.createTopics({ topics: [this.topic], partitions: LAB_PARTITIONS, replicas: -1 }).catch((err: Error) => {
        if (!/already exists/i.test(err.message + JSON.stringify((err as { errors?: unknown }).errors ?? ''))) throw err
      })
    }
    this.topicReady = true
  }

  async createGroup (protocol: LabProtocol): Promise<string> {
    if (this.groups.size >= LAB_MAX_GROUPS) throw new ValidationFailed([{ field: 'body.protocol', rule: 'maxGroups', message: `at most ${LAB_MAX_GROUPS} lab groups at once (end one first)` }])
    await this.ensureTopic()
    const key = `g${++this.groupSeq}`
    // A new group id each time: a group's committed offsets outlive it, and the lesson starts from zero.
    const id = `${this.o.prefix}${LAB_PREFIX}grupos.${protocol}.${randomBytes(3).toString('hex')}`
    this.groups.set(key, { key, id, protocol, members: new Map(), timeline: [], lastOwner: new Map() })
    this.snapshot = null
    return key
  }

  async addMember (key: string): Promise<string> {
    const g = this.groupOf(key)
    if (this.membersInUse() >= LAB_MAX_MEMBERS) {
      throw new ValidationFailed([{ field: 'params.group', rule: 'maxMembers', message: `at most ${LAB_MAX_MEMBERS} lab members run at once, over every lab group (each one's consume() holds one of the gateway's UV_THREADPOOL_SIZE threads): stop one first` }])
    }
    const name = `m${++this.memberSeq}`
    const clientId = `lab-grupos-${name}`
    const consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': this.o.brokers,
      ...this.o.security,
      'group.id': g.id,
      'client.id': clientId,
      // Offsets are stored only after a record is handled (slowly, if asked) and committed every second.
      'enable.auto.commit': true,
      'auto.commit.interval.ms': 1000,
      'enable.auto.offset.store': false,
      'max.poll.interval.ms': LAB_MAX_POLL_INTERVAL_MS,
      rebalance_cb: true,
      ...PROTOCOL_CONFIG[g.protocol]
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' })
    const m: Member = { name, clientId, consumer, status: 'starting', delayMs: 0, consumed: 0, held: new Set() }
    g.members.set(name, m)
    consumer.on('event.error', (err) => { this.o.log.debug({ err, member: name }, 'lab member client error') })
    consumer.on('rebalance', (err, assignment) => { this.onRebalance(g, m, err, assignment) })
    consumer.setDefaultConsumeTimeout(250)
    try {
      await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, err => (err ? reject(err) : resolve())))
    } catch (err) {
      g.members.delete(name)
      throw new ShopError('SHOP_ERR_KAFKA', `the lab member could not connect: ${(err as Error).message}`, 502, { group: key })
    }
    consumer.subscribe([this.topic])
    m.status = 'running'
    this.event(g, { member: name, kind: 'join', partitions: [], moved: [] })
    this.loop(g, m).catch((err: Error) => { this.o.log.warn({ err, member: name }, 'lab member loop failed') })
    this.snapshot = null
    return name
  }

  private onRebalance (g: Group, m: Member, err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    const parts = assignment.filter(a => a.topic === this.topic).map(a => a.partition).sort((a, b) => a - b)
    if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      const moved = parts.flatMap(p => {
        const from = g.lastOwner.get(p)
        return from !== undefined && from !== m.name ? [{ partition: p, from }] : []
      })
      for (const p of parts) { m.held.add(p); g.lastOwner.set(p, m.name) }
      // Incremental protocols announce only what changes: an empty assign is still a rebalance seen.
      this.event(g, { member: m.name, kind: 'assign', partitions: parts, moved })
    } else if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      for (const p of parts) m.held.delete(p)
      this.event(g, { member: m.name, kind: 'revoke', partitions: parts, moved: [] })
    }
    this.snapshot = null
  }

  private event (g: Group, e: Omit<LabTimelineEvent, 'at'>): void {
    g.timeline.push({ at: Date.now(), ...e })
    if (g.timeline.length > TIMELINE_SIZE) g.timeline.splice(0, g.timeline.length - TIMELINE_SIZE)
  }

  /** Reads records until stopped or frozen; each record waits the member's delay before its offset is stored. */
  private async loop (g: Group, m: Member): Promise<void> {
    while (m.status === 'running' && g.members.get(m.name) === m) {
      const batch = await new Promise<Kafka.Message[]>(resolve => {
        m.consumer.consume(m.delayMs > 0 ? 1 : 50, (err, msgs) => resolve(err ? [] : msgs))
      })
      for (const msg of batch) {
        if (m.delayMs > 0) await new Promise(resolve => setTimeout(resolve, m.delayMs))
        // Frozen mid-batch: the record is not done, its offset is not stored.
        if (m.status !== 'running') return
        try {
          m.consumer.offsetsStore([{ topic: msg.topic, partition: msg.partition, offset: msg.offset + 1 }])
          m.consumed++
        } catch {
          // The partition moved to another member meanwhile: that member reads it again from the commit.
        }
      }
      if (batch.length === 0) await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  setDelay (key: string, member: string, ms: number): void {
    const g = this.groupOf(key)
    const m = this.memberOf(g, member)
    m.delayMs = ms
    this.event(g, { member, kind: 'delay', partitions: [], moved: [], note: `${ms} ms` })
    this.snapshot = null
  }

  /**
   * Stops the member's polling without closing it. librdkafka's background thread keeps sending
   * heartbeats, so the broker still counts it as a live member holding its partitions (their lag grows);
   * after max.poll.interval.ms the client gives up and leaves the group, and the rest rebalance.
   */
  freeze (key: string, member: string): void {
    const g = this.groupOf(key)
    const m = this.memberOf(g, member)
    if (m.status !== 'frozen') {
      m.status = 'frozen'
      this.event(g, { member, kind: 'freeze', partitions: [...m.held].sort((a, b) => a - b), moved: [] })
    }
    this.snapshot = null
  }

  /** Closes the member: it commits, revokes its partitions and leaves the group at once. */
  async stopMember (key: string, member: string): Promise<void> {
    const g = this.groupOf(key)
    const m = this.memberOf(g, member)
    await this.closeMember(g, m)
    this.snapshot = null
  }

  private async closeMember (g: Group, m: Member): Promise<void> {
    // The loop stops; close() commits the stored offsets (enable.auto.commit), revokes and leaves.
    // A frozen member may have left already (max.poll.interval.ms): close only releases its client then.
    m.status = 'frozen'
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, 10_000)
      m.consumer.disconnect(() => { clearTimeout(timer); resolve() })
    })
    g.members.delete(m.name)
    this.event(g, { member: m.name, kind: 'leave', partitions: [], moved: [] })
  }

  async deleteGroup (key: string): Promise<void> {
    const g = this.groupOf(key)
    await Promise.all([...g.members.values()].map(async m => { await this.closeMember(g, m) }))
    this.groups.delete(key)
    await this.o.admin.deleteGroups({ groups: [g.id] }).catch(() => {})
    this.snapshot = null
  }

  async setProducer (running: boolean, ratePerSec: number | undefined): Promise<void> {
    if (ratePerSec !== undefined) this.ratePerSec = ratePerSec
    if (this.producing) { clearInterval(this.producing); this.producing = null }
    if (!running) return
    await this.ensureTopic()
    if (!this.producer) {
      const p = new EventProducer(this.o.brokers, 'gateway-lab-grupos', this.o.log, 1)
      await p.connect()
      this.producer = p
    }
    const producer = this.producer
    this.producing = setInterval(() => {
      const n = this.sent++
      producer.send({ topic: this.topic, key: `pedido-${n % 97}`, value: Buffer.from(JSON.stringify({ n, at: Date.now() })), headers: {} })
        .catch((err: Error) => { this.o.log.debug({ err }, 'lab producer send failed') })
    }, Math.max(10, Math.round(1000 / this.ratePerSec)))
  }

  /** Encerrar laboratório: every member closed, the lab groups and the lab topic deleted. */
  async end (): Promise<void> {
    await this.setProducer(false, undefined)
    for (const key of [...this.groups.keys()]) await this.deleteGroup(key)
    if (this.topicReady || (await this.o.admin.listTopics()).includes(this.topic)) {
      await this.o.admin.deleteTopics({ topics: [this.topic] }).catch(() => {})
    }
    this.topicReady = false
    this.snapshot = null
  }

  async close (): Promise<void> {
    await this.end().catch((err: Error) => { this.o.log.warn({ err }, 'lab groups: cleanup failed') })
    await this.producer?.close()
    this.producer = null
  }

  /** The page's state, read from the broker; concurrent readers (several browsers) share one reading. */
  async state (): Promise<LabGroupsState> {
    this.snapshot ??= this.read().finally(() => { setTimeout(() => { this.snapshot = null }, 300) })
    return await this.snapshot
  }

  private async read (): Promise<LabGroupsState> {
    const exists = this.groups.size > 0 || this.producing !== null ? (this.topicReady || (await this.o.admin.listTopics()).includes(this.topic)) : (await this.o.admin.listTopics()).includes(this.topic)
    const marks = exists ? await Promise.all(Array.from({ length: LAB_PARTITIONS }, async (_, p) => await this.o.reader.watermarks(this.topic, p).catch(() => ({ low: 0, high: 0 })))) : []
    const groups = await Promise.all([...this.groups.values()].map(async g => await this.view(g, marks)))
    return {
      topic: exists ? { name: this.topic, partitions: marks.map((w, partition) => ({ partition, end: w.high })) } : null,
      producer: { running: this.producing !== null, ratePerSec: this.ratePerSec, sent: this.sent },
      limits: { maxMembers: LAB_MAX_MEMBERS, maxGroups: LAB_MAX_GROUPS, sessionTimeoutMs: LAB_SESSION_TIMEOUT_MS, maxPollIntervalMs: LAB_MAX_POLL_INTERVAL_MS },
      membersInUse: this.membersInUse(),
      groups
    }
  }

  private async view (g: Group, marks: Array<{ low: number, high: number }>): Promise<LabGroupView> {
    let described: DescribedGroup
    try {
      described = await describeLabGroup(this.o.admin, g.id, g.protocol === 'consumer')
    } catch (err) {
      described = { state: 'UNKNOWN', assignor: '', epoch: null, members: [], error: (err as Error).message }
    }
    const byClient = new Map(described.members.map(d => [d.clientId, d]))
    const members: LabMemberView[] = [...g.members.values()].map(m => {
      const d = byClient.get(m.clientId)
      return {
        name: m.name,
        clientId: m.clientId,
        status: m.status,
        delayMs: m.delayMs,
        consumed: m.consumed,
        inGroup: d !== undefined,
        memberId: d?.memberId ?? null,
        partitions: d?.partitions.filter(p => p.topic === this.topic).map(p => p.partition).sort((a, b) => a - b) ?? [],
        target: d?.target?.filter(p => p.topic === this.topic).map(p => p.partition).sort((a, b) => a - b) ?? null
      }
    })
    const owner = new Map<number, string>()
    for (const d of described.members) {
      const name = members.find(m => m.clientId === d.clientId)?.name ?? d.clientId
      for (const p of d.partitions) if (p.topic === this.topic) owner.set(p.partition, name)
    }
    const committed = new Map<number, number>()
    const [offsets] = await this.o.admin.listConsumerGroupOffsets({ groups: [g.id] }).catch(() => [])
    for (const t of offsets?.topics ?? []) {
      if (t.name !== this.topic) continue
      for (const p of t.partitions) if (p.committedOffset >= 0n) committed.set(p.partitionIndex, Number(p.committedOffset))
    }
    const partitions = marks.map((w, partition) => {
      const c = committed.get(partition) ?? null
      // Lab members start at the earliest offset (auto.offset.reset=earliest).
      return { partition, committed: c, end: w.high, lag: lagOf(c, w.low, w.high, true) ?? 0, owner: owner.get(partition) ?? null }
    })
    return {
      key: g.key,
      id: g.id,
      protocol: g.protocol,
      broker: { state: described.state, assignor: described.assignor, epoch: described.epoch, error: described.error },
      members,
      partitions,
      totalLag: partitions.reduce((n, p) => n + p.lag, 0),
      timeline: [...g.timeline]
    }
  }
}

// What the broker says of a group. The classic protocol answers DescribeGroups (each member's
// assignment as the leader's ConsumerProtocol bytes); a KIP-848 group is "Dead" there and answers
// ConsumerGroupDescribe instead, with each member's current and target assignment.

interface TopicPartition { topic: string, partition: number }
export interface DescribedMember { memberId: string, clientId: string, partitions: TopicPartition[], target: TopicPartition[] | null }
export interface DescribedGroup { state: string, assignor: string, epoch: number | null, members: DescribedMember[], error: string | null }

export async function describeLabGroup (admin: Admin, group: string, kip848: boolean): Promise<DescribedGroup> {
  const [coordinator] = await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [group] })
  const metadata = await admin.metadata({ topics: [] })
  const broker = metadata.brokers.get(coordinator?.nodeId ?? -1)
  if (!broker) throw new Error(`no coordinator for group ${group}`)
  const connection = await new Promise<Connection>((resolve, reject) => {
    (admin as unknown as ConnectionGetter)[kGetConnection](broker, (err, c) => (err || !c ? reject(err ?? new Error('no connection')) : resolve(c)))
  })
  if (kip848) {
    const [g] = (await consumerGroupDescribe.async(connection, [group], false)).groups
    if (!g) throw new Error(`the broker did not describe ${group}`)
    // GROUP_ID_NOT_FOUND (69): no member has joined yet.
    if (g.errorCode === 69) return { state: 'EMPTY', assignor: '', epoch: null, members: [], error: null }
    if (g.errorCode !== 0) return { state: 'UNKNOWN', assignor: '', epoch: null, members: [], error: g.errorMessage ?? `error ${g.errorCode}` }
    return {
      state: g.groupState.toUpperCase(),
      assignor: g.assignorName,
      epoch: g.groupEpoch,
      members: g.members.map(m => ({ memberId: m.memberId, clientId: m.clientId, partitions: flatten(m.assignment), target: flatten(m.targetAssignment) })),
      error: null
    }
  }
  const [g] = (await describeGroupsV5.api.async(connection, [group], false)).groups
  if (!g) throw new Error(`the broker did not describe ${group}`)
  return {
    state: g.groupState.toUpperCase(),
    assignor: g.protocolData ?? '',
    epoch: null,
    members: g.members.map(m => ({ memberId: m.memberId, clientId: m.clientId, partitions: decodeAssignment(m.memberAssignment), target: null })),
    error: null
  }
}

function flatten (a: Array<{ topicName: string, partitions: number[] }>): TopicPartition[] {
  return a.flatMap(t => t.partitions.map(partition => ({ topic: t.topicName, partition })))
}

/**
 * A classic member's assignment (ConsumerProtocolAssignment: version, [topic [partition]], user data).
 * Mid-rebalance it is empty: no partitions yet (the admin client's own decoding throws there).
 */
export function decodeAssignment (raw: Buffer | null | undefined): TopicPartition[] {
  const b = raw ? Buffer.from(raw) : Buffer.alloc(0)
  if (b.length < 6) return []
  const out: TopicPartition[] = []
  let at = 2
  const topics = b.readInt32BE(at); at += 4
  for (let i = 0; i < topics && at + 2 <= b.length; i++) {
    const len = b.readInt16BE(at); at += 2
    const topic = b.toString('utf8', at, at + len); at += len
    const n = b.readInt32BE(at); at += 4
    for (let j = 0; j < n; j++) { out.push({ topic, partition: b.readInt32BE(at) }); at += 4 }
  }
  return out
}

// ConsumerGroupDescribe v0 as the protocol defines it: @platformatic/kafka 1.35's parser reads
// subscribed_topic_names as one string (it is an array) and skips the assignments' tagged fields.
interface CgdAssignment { topicName: string, partitions: number[] }
interface CgdMember { memberId: string, clientId: string, assignment: CgdAssignment[], targetAssignment: CgdAssignment[] }
interface CgdGroup { errorCode: number, errorMessage: string | null, groupId: string, groupState: string, groupEpoch: number, assignorName: string, members: CgdMember[] }

function readAssignment (r: Reader): CgdAssignment[] {
  const topics = r.readArray(r => {
    r.readUUID()
    return { topicName: r.readString(), partitions: r.readArray(r => r.readInt32(), true, false) }
  })
  r.readTaggedFields()
  return topics
}

const consumerGroupDescribe = createAPI<[string[], boolean], { groups: CgdGroup[] }>(69, 0, consumerGroupDescribeV0.createRequest, (_id, _key, _version, reader) => {
  reader.readInt32()
  const groups = reader.readArray(r => {
    const errorCode = r.readInt16()
    const errorMessage = r.readNullableString()
    const groupId = r.readString()
    const groupState = r.readString()
    const groupEpoch = r.readInt32()
    r.readInt32()
    const assignorName = r.readString()
    const members = r.readArray(r => {
      const memberId = r.readString()
      r.readNullableString()
      r.readNullableString()
      r.readInt32()
      const clientId = r.readString()
      r.readString()
      r.readArray(r => r.readString(), true, false)
      r.readNullableString()
      const assignment = readAssignment(r)
      const targetAssignment = readAssignment(r)
      return { memberId, clientId, assignment, targetAssignment }
    })
    r.readInt32()
    return { errorCode, errorMessage, groupId, groupState, groupEpoch, assignorName, members }
  })
  return { groups }
})
