import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Nullable } from './common.ts'

// The replication lab's wire shapes (/api/lab/replicacao/*).

const Ids = Type.Array(Type.Integer())

export const WriteResult = Type.Object({
  n: Type.Integer({ description: 'the write\'s number since the producer started' }),
  at: Type.String(),
  ok: Type.Boolean(),
  partition: Nullable(Type.Integer()),
  offset: Nullable(Type.Integer()),
  code: Nullable(Type.String({ description: 'the broker\'s error name, verbatim (NOT_ENOUGH_REPLICAS ...), or the client\'s when no broker answered' })),
  errno: Nullable(Type.Integer({ description: 'the broker\'s error code number (19 = NOT_ENOUGH_REPLICAS)' })),
  message: Nullable(Type.String())
})
export type WriteResultType = Static<typeof WriteResult>

export const ProducerState = Type.Object({
  running: Type.Boolean(),
  topic: Nullable(Type.String()),
  sent: Type.Integer(),
  acked: Type.Integer(),
  failed: Type.Integer(),
  recent: Type.Array(WriteResult, { description: 'the last writes, newest first' })
})

export const LabPartition = Type.Object({
  partition: Type.Integer(),
  leader: Type.Integer({ description: '-1: no leader (offline)' }),
  replicas: Ids,
  isr: Ids,
  preferred: Type.Integer({ description: 'the first replica: the leader a preferred election gives it' })
})

export const LabTopic = Type.Object({
  name: Type.String(),
  exists: Type.Boolean(),
  minInsyncReplicas: Nullable(Type.Integer()),
  partitions: Type.Array(LabPartition)
})

export const ReplicationState = Type.Object({
  at: Type.String(),
  brokerCount: Type.Integer(),
  ready: Type.Boolean({ description: 'three brokers: the lab can run' }),
  hint: Nullable(Type.String({ description: 'pt-BR: why the lab cannot run here and how to start 3 brokers' })),
  controlPlane: Type.Boolean({ description: 'the control plane answered (brokers are stopped and started through it)' }),
  brokers: Type.Array(Type.Object({
    id: Type.Integer(),
    component: Type.String(),
    running: Nullable(Type.Boolean({ description: 'its process runs (the control plane\'s view); null when unknown' })),
    registered: Type.Boolean({ description: 'the cluster\'s metadata lists it (registered with the controller, not fenced)' }),
    address: Nullable(Type.String()),
    leaders: Type.Integer({ description: 'partitions (of every topic) it leads' }),
    replicas: Type.Integer({ description: 'partition replicas it holds' })
  })),
  quorum: Type.Object({
    leaderId: Nullable(Type.Integer({ description: 'the active controller (the KRaft quorum\'s leader)' })),
    voters: Ids,
    observers: Ids,
    separate: Type.Boolean({ description: 'the controller is a node of its own, not one of the brokers' }),
    running: Nullable(Type.Boolean()),
    error: Nullable(Type.String())
  }),
  partitions: Type.Integer(),
  offline: Type.Integer(),
  notPreferred: Type.Integer({ description: 'partitions whose leader is not their preferred replica' }),
  underReplicatedCount: Type.Integer(),
  underReplicated: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), replicas: Ids, isr: Ids })),
  topic: LabTopic,
  producer: ProducerState
})
export type ReplicationStateType = Static<typeof ReplicationState>

export const LabTopicQuery = Type.Object({
  topic: Type.Optional(Type.String({ pattern: '^lab\\.replicacao[a-z0-9._-]{0,80}$', description: 'the lab topic (default lab.replicacao; tests use their own)' }))
}, { additionalProperties: false })

export const LabTopicBody = Type.Object({
  topic: Type.Optional(Type.String({ pattern: '^lab\\.replicacao[a-z0-9._-]{0,80}$' }))
}, { additionalProperties: false })

export const ProducerBody = Type.Object({
  running: Type.Boolean({ description: 'true starts the acks=all writer, false stops it' }),
  topic: Type.Optional(Type.String({ pattern: '^lab\\.replicacao[a-z0-9._-]{0,80}$' }))
}, { additionalProperties: false })

export const BrokerParams = Type.Object({
  id: Type.Integer({ minimum: 0, maximum: 1000, description: 'the broker\'s node id (1, 2, 3)' }),
  action: Type.Union([Type.Literal('stop'), Type.Literal('start')])
})

export const BrokerActionResult = Type.Object({ id: Type.Integer(), action: Type.String(), running: Type.Boolean() })

// The election is the control plane's (ElectLeaders needs the Kafka admin); its answer is kit's, relayed unchanged.
export { ElectionResult } from '@vitrine/service-kit/control-actions'
