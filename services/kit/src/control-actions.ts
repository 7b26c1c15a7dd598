import { Type } from 'typebox'
import type { Static } from 'typebox'

// Instructor actions the control plane does as the Kafka admin, because the gateway's principal may
// not (infra/src/security/acls.ts): a preferred-leader election needs ALTER on the cluster, which
// would also let the gateway grant itself ACLs; a DLQ replay writes to the shop's retry topic, which
// would let the admin surface forge events. The control plane answers with these shapes (POST
// /kafka/elect-leaders, POST /dlq/replay), the gateway relays them to the UI unchanged. One
// definition, so the answers cannot drift apart.

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const ElectLeadersRequest = Type.Object({
  topics: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 249, pattern: '^[A-Za-z0-9._-]+$' }), {
    minItems: 1,
    maxItems: 1000,
    uniqueItems: true,
    description: 'only these topics (every partition of each); left out: every partition of the cluster, Kafka\'s internal topics included'
  }))
}, { additionalProperties: false })

export const ElectionResult = Type.Object({
  elected: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer() })),
  notNeeded: Type.Integer({ description: 'partitions already led by their preferred replica (ELECTION_NOT_NEEDED)' }),
  failed: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), code: Type.String(), message: nullable(Type.String()) }))
})

export const DlqReplayRequest = Type.Object({
  offsets: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 100, uniqueItems: true, description: 'offsets of orders.dlq to send back' }),
  force: Type.Optional(Type.Boolean({ description: 'send again what the ledger says was replayed already' }))
}, { additionalProperties: false })

const ReplayItem = Type.Object({ partition: Type.Integer(), offset: Type.Integer(), key: nullable(Type.String()), group: Type.String(), originalTopic: Type.String(), error: Type.String() })

/** kit's ReplayResult (ops/dlq.ts) on the wire. */
export const DlqReplayResult = Type.Object({ sent: Type.Array(ReplayItem), alreadyReplayed: Type.Array(ReplayItem), notReplayable: Type.Array(ReplayItem) })

export type ElectLeadersRequestType = Static<typeof ElectLeadersRequest>
export type ElectionResultType = Static<typeof ElectionResult>
export type DlqReplayRequestType = Static<typeof DlqReplayRequest>
