// The contract between the gateway and the browser: what socket.io pushes and what /api answers.
// Types only (type imports are erased), so the web app can import them (`@vitrine/gateway/wire`)
// without pulling in anything of Node's. The route schemas in ./schemas describe the same shapes.
import type { Static } from 'typebox'
import type { ErrorBody as ErrorBodySchema, FieldErrorSchema } from '@vitrine/service-kit/schemas'
import type { ExerciseViewType } from './schemas/exercises.ts'
import type { KpiSnapshot as KpiSnapshotSchema, SqlResult as SqlResultSchema } from './schemas/streams.ts'
import type { DrillRun as DrillRunSchema, DrillScene as DrillSceneSchema } from '@vitrine/service-kit/drills'
import type { ChaosServiceFaults as ChaosServiceFaultsSchema } from './schemas/chaos.ts'
import type { GroupView as LabGroupViewSchema, LabGroupsStateSchema, LabProtocolSchema, MemberView as LabMemberViewSchema, TimelineEvent as LabTimelineEventSchema } from './schemas/lab-groups.ts'
import type { ResetReport as ResetReportSchema } from './schemas/admin.ts'
import type { CompactionLabRecordSchema, CompactionLabSegmentSchema, CompactionLabStateSchema, CompactionLabTopicSchema, CompactionPolicySchema } from './schemas/lab-compaction.ts'
import type { DeadLetter as DeadLetterSchema, DeadLetterList as DeadLetterListSchema, ReplayResult as ReplayResultSchema } from './schemas/dlq.ts'
import type { AclList as AclListSchema } from './schemas/acls.ts'
import type { PartitionsLabKeySchema, PartitionsLabMoveSchema, PartitionsLabRecordSchema, PartitionsLabStateSchema, PartitionsLabTopicSchema, AddPartitionsResult as AddPartitionsResultSchema, SendResult as SendResultSchema } from './schemas/lab-particoes.ts'
import type { ElectionResult as ReplicationElectionSchema, ReplicationState as ReplicationStateSchema } from './schemas/lab-replicacao.ts'

export type SagaModeName = 'choreography' | 'orchestration'

/** How the UI colours an event: the result it reports, from the point of view of the order. */
export type Outcome = 'started' | 'progress' | 'success' | 'failure' | 'compensation' | 'retry' | 'dead-letter' | 'unknown'

export type TopicKind = 'event' | 'command' | 'reply' | 'dead-letter' | 'retry'

export interface DeadLetterOrigin {
  topic: string
  partition: number | null
  offset: number | null
  error: string | null
  attempts: number | null
  failedBy: string | null
}

export interface LiveEvent {
  /** `<topic>/<partition>/<offset>`: unique per record, what clients deduplicate on. */
  id: string
  /** Catalog name, with the deployment's topic prefix removed. */
  topic: string
  kind: TopicKind | 'unknown'
  partition: number
  offset: number
  key: string | null
  /** The record's timestamp (producer create time), epoch ms. */
  timestamp: number
  headers: Record<string, string>
  eventType: string | null
  correlationId: string | null
  causationId: string | null
  mode: SagaModeName | null
  /** The service that wrote the record, from its `producer` header. */
  producer: string | null
  schemaId: number | null
  value: unknown
  /** Why the value could not be decoded (the record is still shown, never dropped or dead-lettered). */
  decodeError: string | null
  orderId: string | null
  eventId: string | null
  outcome: Outcome
  /** For retry and dead-letter records: where the record came from and why it failed. */
  origin: DeadLetterOrigin | null
  /** Bytes of the value on the wire. */
  size: number
}

export interface ModeCounts { created: number, confirmed: number, failed: number }

export interface VolumeBucket { t: number, created: number, confirmed: number, failed: number }

export interface StatsSnapshot {
  since: number
  now: number
  orders: { created: number, confirmed: number, failed: number, pending: number }
  byMode: Record<SagaModeName, ModeCounts>
  /** confirmed / (confirmed + failed), null before any order ended. */
  successRate: number | null
  /** Mean time from `orders.new` to `orders.confirmed`/`orders.failed` (record timestamps), ms. */
  meanProcessingMs: number | null
  processingSamples: number
  ordersPerMinute: number
  compensations: number
  deadLetters: number
  events: number
  eventsPerSecond: number
  bucketMs: number
  volume: VolumeBucket[]
}

export interface FeedStatus {
  startedAt: number
  prefix: string
  kafka: { connected: boolean, partitions: number, records: number, error: string | null }
  clients: number
  historySize: number
  pushIntervalMs: number
  batches: number
  teachingMode: boolean
}

export interface CatalogTopic {
  name: string
  description: string
  partitions: number
  replicationFactor: number
  key: string
  schema: string | null
  writers: string[]
  readers: string[]
  kind: TopicKind
  config: Record<string, string>
}

export interface Catalog { prefix: string, services: string[], modes: string[], headers: Record<string, string>, topics: CatalogTopic[] }

export interface TopicSummary {
  name: string
  /** Kafka's own (`__…`) or the Schema Registry's storage (`kafkasql-…`, `apicurio-…`): hidden by the console's "internos" filter. */
  internal: boolean
  catalog: boolean
  kind: TopicKind | null
  description: string | null
  partitions: number
  replicationFactor: number
  messages: number
  /** Why the console refuses to delete it (a Kafka internal topic, the registry's storage, a catalog topic), or null. */
  protected: 'internal' | 'registry' | 'catalog' | null
}

export interface PartitionInfo {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
  /** Replicas not in the ISR: they lag behind the leader (or their broker is down). */
  outOfSync: number[]
  low: number
  high: number
  messages: number
}

export interface TopicDetail extends TopicSummary {
  partitionDetails: PartitionInfo[]
  configs: Array<{ name: string, value: string | null, source: string, readOnly: boolean }>
}

export interface BrowseResult { topic: string, partition: number, low: number, high: number, from: number, messages: LiveEvent[] }

/** `internal`: the Schema Registry's own group (`apicurio-…`, `kafkasql-…`), hidden by the console's "internos" filter. */
export interface GroupSummary { id: string, state: string, protocolType: string, groupType: string, internal: boolean }

/** `lag` with no commit yet: 0 on an empty partition, end − start for Vitrine's groups (they read from the earliest offset), else null (see lagOf). */
export interface GroupPartition { topic: string, partition: number, committed: number | null, end: number, lag: number | null, member: string | null }

export interface GroupDetail {
  id: string
  state: string
  protocol: string
  protocolType: string
  members: Array<{ id: string, clientId: string, host: string, assignments: Array<{ topic: string, partitions: number[] }> }>
  partitions: GroupPartition[]
  totalLag: number
}

// The one error body (kit's schema), as a type.
export type FieldError = Static<typeof FieldErrorSchema>
export type ErrorBody = Static<typeof ErrorBodySchema>

/** An alert Alertmanager delivered to the gateway's webhook (GET /api/alerts, and the `alerts` push). */
export interface AlertView {
  fingerprint: string
  name: string
  status: 'firing' | 'resolved'
  severity: string | null
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string | null
  /** When the gateway last heard of it, epoch ms. */
  updatedAt: number
}

/** socket.io `alerts`: every alert the gateway knows (firing first), and those this notification changed. */
export interface AlertsPush { alerts: AlertView[], changed: AlertView[] }

/** An exercise of the course with its checker's last verdict (GET /api/exercises, POST /api/exercises/:n/check). */
export type ExerciseView = ExerciseViewType

/** socket.io `exercises`: every exercise, pushed when any status changed. */
export interface ExercisesPush { exercises: ExerciseView[] }

/** The KPI panel's state (GET /api/streams/kpis, pushed as `kpis`): the Flink jobs' outputs as the gateway keeps them. */
export type KpiSnapshot = Static<typeof KpiSnapshotSchema>
/** A SQL page statement's answer (POST /api/streams/sql). */
export type SqlResult = Static<typeof SqlResultSchema>

/** GET /api/dlq: the dead-letter topic's records with their stored bytes; POST /api/dlq/replay's answer. */
export type DeadLetter = Static<typeof DeadLetterSchema>
export type DeadLetterList = Static<typeof DeadLetterListSchema>
/** GET /api/acls: the broker's ACLs by principal, explained (the Kafka page's ACL tab). */
export type AclList = Static<typeof AclListSchema>
export type DlqReplayResult = Static<typeof ReplayResultSchema>

/** The chaos drills (the control plane's shapes, relayed by /api/chaos and the socket's `chaos`). */
export type ChaosScene = Static<typeof DrillSceneSchema>
export type ChaosRun = Static<typeof DrillRunSchema>
export type ChaosSample = ChaosRun['samples'][number]
export type ChaosCheck = NonNullable<ChaosRun['invariants']>['checks'][number]
export interface ChaosPush { runs: ChaosRun[] }
/** A service's runtime fault toggles and its broker link (the control plane's GET /faults, relayed). */
export type ServiceFaults = Static<typeof ChaosServiceFaultsSchema>
/** The consumer groups lab's state (GET /api/lab/grupos): each lab group as the broker describes it, and its members' rebalance timeline. */
export type LabGroupsState = Static<typeof LabGroupsStateSchema>
export type LabGroupView = Static<typeof LabGroupViewSchema>
export type LabMemberView = Static<typeof LabMemberViewSchema>
export type LabTimelineEvent = Static<typeof LabTimelineEventSchema>
export type LabProtocol = Static<typeof LabProtocolSchema>
/** The partitions lab (/api/lab/particoes): its topics, their records with the broker's partition and murmur2's prediction, and the keys a partition change moves. */
export type PartitionsLabTopic = Static<typeof PartitionsLabTopicSchema>
export type PartitionsLabRecord = Static<typeof PartitionsLabRecordSchema>
export type PartitionsLabKey = Static<typeof PartitionsLabKeySchema>
export type PartitionsLabState = Static<typeof PartitionsLabStateSchema>
export type PartitionsLabMove = Static<typeof PartitionsLabMoveSchema>
export type PartitionsLabSendResult = Static<typeof SendResultSchema>
export type PartitionsLabAddResult = Static<typeof AddPartitionsResultSchema>

/** The replication lab's reading of the cluster (GET /api/lab/replicacao/state) and a preferred-leader election's answer. */
export type ReplicationLabState = Static<typeof ReplicationStateSchema>
export type ReplicationElection = Static<typeof ReplicationElectionSchema>
/** The shop's reset as the control plane reports it (POST /api/admin/reset, the instructor bar). */
export type ResetReport = Static<typeof ResetReportSchema>
/** The compaction and retention lab (/api/lab/compactacao). */
export type CompactionPolicy = Static<typeof CompactionPolicySchema>
export type CompactionLabTopic = Static<typeof CompactionLabTopicSchema>
export type CompactionLabRecord = Static<typeof CompactionLabRecordSchema>
export type CompactionLabState = Static<typeof CompactionLabStateSchema>
export type CompactionLabSegment = Static<typeof CompactionLabSegmentSchema>

/** A saga service's second copy (GET /api/instances): same consumer group, its own port. */
export type { InstanceCopyType as InstanceCopy } from './schemas/instances.ts'

/** An order's replay (POST /api/orders/:orderId/replay) and what socket.io pushes as `order-replay`. */
export type { OrderReplayStatusType as OrderReplayStatus, OrderReplayPushType as OrderReplayPush } from './schemas/replay.ts'

/** The producer lab (/api/lab/produtor): a run's delivery reports and the batches the broker stored. */
export type { ProducerRunType as ProducerLabRun, ProducerRunBodyType as ProducerLabRunBody, ProducerLabStateType as ProducerLabState, StoredBatchType as ProducerLabBatch } from './schemas/lab-produtor.ts'

/** The instructor's step mode across the saga (GET/POST /api/admin/step) and a "next" (POST /api/admin/step/next). */
export type { SagaStepStateType as SagaStepState, StepNextResultType as StepNextResult } from './schemas/step.ts'
export type { HeldEventType as HeldEvent } from '@vitrine/service-kit/schemas'
