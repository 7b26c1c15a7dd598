import pino from 'pino'
import { EventProducer } from '@vitrine/service-kit'
import { recreateTopic } from './lab.ts'
import { committedOffsets, deleteGroupIfPresent, waitForTopic, endOffsetsOf, partitionCount } from './offsets.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 3: a consumer group behind. The setup writes events to a topic of 3 partitions and leaves
// the group ex03-relatorios committed at the start of each partition: it lags by every record, as
// `consumer-groups --describe` shows. The check reads the group's committed offsets against each
// partition's end: lag 0 on every partition (the student consumed with the group, or moved its
// offsets to the end). A group that was deleted is not a group at lag 0.

const TOPIC = 'ex03.eventos'
const GROUP = 'ex03-relatorios'
const PARTITIONS = 3
const RECORDS = 60

export const ex03Names = (ctx: Pick<ExerciseContext, 'topicPrefix' | 'groupSuffix'>): { topic: string, group: string } =>
  ({ topic: ctx.topicPrefix + TOPIC, group: GROUP + ctx.groupSuffix })

export default defineExercise({
  n: 3,
  slug: '03-lag-de-grupo',
  title: 'Lag de um consumer group: achar e zerar',
  concepts: ['grupos-de-consumidores', 'consumidores', 'particoes'],
  setup: async (ctx) => {
    const { topic, group } = ex03Names(ctx)
    const admin = ctx.admin()
    const producer = new EventProducer(ctx.brokers, 'vitrine-exercise', pino({ level: 'warn' }), undefined, { security: ctx.security })
    try {
      // A student's console-consumer still in the group would keep it from being deleted: the error says so.
      await deleteGroupIfPresent(admin, group)
      await recreateTopic(admin, topic, { partitions: PARTITIONS, replicas: 1 })
      await waitForTopic(admin, topic)
      await producer.connect()
      await Promise.all(Array.from({ length: RECORDS }, async (_, i) => await producer.send({
        topic,
        key: `loja-${i % 12}`,
        value: Buffer.from(JSON.stringify({ evento: 'visita', n: i + 1 })),
        headers: {}
      })))
      // Committed at the start of every partition: the group exists and is behind by everything.
      await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: 0n })) }] })
    } finally {
      await producer.close().catch(() => {})
      await admin.close().catch(() => {})
    }
  },
  check: async (ctx): Promise<CheckResult> => {
    const { topic, group } = ex03Names(ctx)
    const admin = ctx.admin()
    try {
      const partitions = await partitionCount(admin, topic)
      if (partitions === undefined) return { done: false, missing: [`o tópico ${TOPIC} não existe: rode make exercicio N=3 RESET=1 para recriá-lo`] }
      if (!(await admin.listGroups()).has(group)) {
        return { done: false, missing: [`o grupo ${GROUP} não existe (foi apagado?): zerar o lag é fazer o grupo alcançar o fim, não apagá-lo; rode make exercicio N=3 RESET=1 e tente de novo`] }
      }
      const ends = await endOffsetsOf(admin, topic, partitions)
      const committed = await committedOffsets(admin, group, topic)
      const lags = [...ends.entries()].sort(([a], [b]) => a - b).map(([p, end]) => ({ p, lag: Math.max(0, end - (committed.get(p) ?? 0)) }))
      const total = lags.reduce((n, l) => n + l.lag, 0)
      const seen = [`grupo ${GROUP}: lag ${total} (${lags.map(l => `partição ${l.p}: ${l.lag}`).join(', ')})`]
      if (total === 0) return { done: true, missing: [], seen }
      return {
        done: false,
        missing: [`o grupo ${GROUP} ainda está ${total} registro(s) atrás em ${lags.filter(l => l.lag > 0).map(l => `partição ${l.p} (${l.lag})`).join(', ')}: veja com consumer-groups --describe --group ${GROUP} e leve o lag a 0 em todas as partições`],
        seen
      }
    } finally {
      await admin.close().catch(() => {})
    }
  }
})
