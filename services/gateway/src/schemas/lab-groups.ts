import { Type } from 'typebox'
import { Nullable } from './common.ts'

// The consumer groups lab (/api/lab/grupos): the lab topic, its producer, and each lab group as the
// broker describes it (members, assignment, committed offsets) beside the members' rebalance timeline.

export const LabProtocolSchema = Type.Union([Type.Literal('eager'), Type.Literal('cooperative'), Type.Literal('consumer')], {
  description: 'eager: classic protocol with the range assignor; cooperative: classic with cooperative-sticky; consumer: Kafka 4\'s group.protocol=consumer (KIP-848)'
})

export const MemberView = Type.Object({
  name: Type.String({ description: 'the lab\'s name for the member (m1, m2...)' }),
  clientId: Type.String(),
  status: Type.Union([Type.Literal('starting'), Type.Literal('running'), Type.Literal('frozen')]),
  delayMs: Type.Integer(),
  consumed: Type.Integer({ description: 'records this member handled (their offsets stored for the next commit)' }),
  inGroup: Type.Boolean({ description: 'the broker\'s describe lists it' }),
  memberId: Nullable(Type.String()),
  partitions: Type.Array(Type.Integer(), { description: 'its assignment, as the broker describes it' }),
  target: Nullable(Type.Array(Type.Integer(), { description: 'KIP-848: the assignment the broker is moving it to' }))
})

export const TimelineEvent = Type.Object({
  at: Type.Number(),
  member: Type.String(),
  kind: Type.Union([Type.Literal('join'), Type.Literal('assign'), Type.Literal('revoke'), Type.Literal('leave'), Type.Literal('freeze'), Type.Literal('delay')]),
  partitions: Type.Array(Type.Integer()),
  moved: Type.Array(Type.Object({ partition: Type.Integer(), from: Type.String() })),
  note: Type.Optional(Type.String())
})

export const GroupView = Type.Object({
  key: Type.String(),
  id: Type.String(),
  protocol: LabProtocolSchema,
  broker: Type.Object({ state: Type.String(), assignor: Type.String(), epoch: Nullable(Type.Integer()), error: Nullable(Type.String()) }),
  members: Type.Array(MemberView),
  partitions: Type.Array(Type.Object({ partition: Type.Integer(), committed: Nullable(Type.Integer()), end: Type.Integer(), lag: Type.Integer(), owner: Nullable(Type.String()) })),
  totalLag: Type.Integer(),
  timeline: Type.Array(TimelineEvent)
})

export const LabGroupsStateSchema = Type.Object({
  topic: Nullable(Type.Object({ name: Type.String(), partitions: Type.Array(Type.Object({ partition: Type.Integer(), end: Type.Integer() })) })),
  producer: Type.Object({ running: Type.Boolean(), ratePerSec: Type.Number(), sent: Type.Integer() }),
  limits: Type.Object({ maxMembers: Type.Integer(), maxGroups: Type.Integer(), sessionTimeoutMs: Type.Integer(), maxPollIntervalMs: Type.Integer() }),
  membersInUse: Type.Integer(),
  groups: Type.Array(GroupView)
})

export const LabGroupParams = Type.Object({ group: Type.String({ pattern: '^g[0-9]+$', maxLength: 12 }) })
export const LabMemberParams = Type.Object({ group: Type.String({ pattern: '^g[0-9]+$', maxLength: 12 }), member: Type.String({ pattern: '^m[0-9]+$', maxLength: 12 }) })
export const LabNewGroupBody = Type.Object({ protocol: LabProtocolSchema }, { additionalProperties: false })
export const LabDelayBody = Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 5000, description: 'how long the member takes per record' }) }, { additionalProperties: false })
export const LabProducerBody = Type.Object({ running: Type.Boolean(), ratePerSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) }, { additionalProperties: false })
