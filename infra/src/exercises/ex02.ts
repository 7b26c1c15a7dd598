import { readTopicNow } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import { sleep } from '../proc.ts'
import { partitionCount } from './offsets.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 2: the student creates a topic with several partitions and writes numbered records for
// several keys; Kafka keeps each key in one partition, in the order written. The setup removes the
// topic (the student creates it). The check reads it: enough partitions, enough keys with enough
// numbered records, the keys spread over more than one partition, and for every key one partition
// and the numbers increasing in offset order (a key split by adding partitions, or numbers written
// out of order, show up).

const TOPIC = 'ex02.pedidos'
const MIN_PARTITIONS = 3
const MIN_KEYS = 3
const MIN_PER_KEY = 3

export const ex02Topic = (ctx: Pick<ExerciseContext, 'topicPrefix'>): string => ctx.topicPrefix + TOPIC

/** The number a record's value ends with ("pedido 3" → 3), or undefined. */
function numberOf (r: StoredRecord): number | undefined {
  const m = /(\d+)\s*$/.exec(r.value?.toString('utf8') ?? '')
  return m === null ? undefined : Number(m[1])
}

export default defineExercise({
  n: 2,
  slug: '02-ordem-por-chave',
  title: 'Partições e a ordem por chave',
  concepts: ['topicos', 'particoes', 'produtores'],
  setup: async (ctx) => {
    const topic = ex02Topic(ctx)
    const admin = ctx.admin()
    try {
      if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] })
      // Gone for good before the student (or a test) creates it again.
      const deadline = Date.now() + 30_000
      while ((await admin.listTopics()).includes(topic) && Date.now() < deadline) await sleep(200)
    } finally {
      await admin.close().catch(() => {})
    }
  },
  check: async (ctx): Promise<CheckResult> => {
    const topic = ex02Topic(ctx)
    const admin = ctx.admin()
    let partitions: number | undefined
    try {
      partitions = await partitionCount(admin, topic)
    } finally {
      await admin.close().catch(() => {})
    }
    if (partitions === undefined) {
      return { done: false, missing: [`crie o tópico ${TOPIC} com pelo menos ${MIN_PARTITIONS} partições (infra/bin/kafka topics --create ... --partitions ${MIN_PARTITIONS + 1})`] }
    }
    const missing: string[] = []
    const seen = [`tópico ${TOPIC}: ${partitions} partição(ões)`]
    if (partitions < MIN_PARTITIONS) missing.push(`o tópico ${TOPIC} tem ${partitions} partição(ões); a ordem por chave só aparece com várias: recrie-o com ${MIN_PARTITIONS} ou mais`)

    const byKey = new Map<string, StoredRecord[]>()
    for (const r of await readTopicNow(ctx.brokers, topic, 10_000, ctx.security)) {
      if (r.key === null || r.key === '' || numberOf(r) === undefined) continue
      byKey.set(r.key, [...(byKey.get(r.key) ?? []), r])
    }
    const counted = [...byKey.entries()].filter(([, rs]) => rs.length >= MIN_PER_KEY)
    for (const [key, rs] of byKey) {
      const parts = [...new Set(rs.map(r => r.partition))].sort((a, b) => a - b)
      rs.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
      if (seen.length <= 8) seen.push(`chave "${key}": ${rs.length} registro(s) numerado(s) na(s) partição(ões) ${parts.join(', ')}: ${rs.map(numberOf).join(', ')}`)
      if (parts.length > 1) {
        missing.push(`a chave "${key}" está em ${parts.length} partições (${parts.join(', ')}): alguém mudou o número de partições depois de escrever, ou escolheu a partição à mão; recomece com make exercicio N=2 RESET=1`)
        continue
      }
      const back = rs.findIndex((r, i) => i > 0 && numberOf(r)! <= numberOf(rs[i - 1]!)!)
      if (back > 0) missing.push(`a chave "${key}" tem a sequência fora de ordem na partição ${parts[0]}: ${numberOf(rs[back - 1]!)} (offset ${rs[back - 1]!.offset}) antes de ${numberOf(rs[back]!)} (offset ${rs[back]!.offset}); os números de cada chave devem crescer na ordem em que foram escritos`)
    }
    if (counted.length < MIN_KEYS) {
      missing.push(`produza pelo menos ${MIN_PER_KEY} registros numerados (valores terminando em 1, 2, 3...) para pelo menos ${MIN_KEYS} chaves diferentes; hoje ${counted.length} chave(s) têm ${MIN_PER_KEY} ou mais`)
    } else if (new Set(counted.map(([, rs]) => rs[0]!.partition)).size < 2) {
      missing.push('todas as suas chaves caíram na mesma partição: use mais chaves (ou outras) até que elas ocupem pelo menos 2 partições')
    }
    return { done: missing.length === 0, missing, seen }
  }
})
