import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka'
import pino from 'pino'
import { EventProducer, readTopicNow } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import type { ExerciseContext } from './types.ts'
import { defineExercise } from './types.ts'

// Exercise 12: log compaction and tombstones, on a compacted lab topic of prices keyed by product
// (the shape of the shop's products.catalog, which only inventory writes). The student overwrites a
// key and deletes another with a tombstone (a record whose value is null); the checker reads every
// record the topic holds and takes the last one of each key, exactly what compaction will keep.
// Whether the log cleaner has already run is the broker's timing, so it is shown, never required.
// (The issue's ACL exercise waits for Vitrine's security issue: there are no ACLs to grant yet.)

export const PRICES_TOPIC = 'ex12.precos'
/** The starting catalog: product → price in cents. */
export const SEED: Readonly<Record<string, string>> = { caneca: '2990', camiseta: '4990', bone: '3990' }
/** What the student is asked to do: the mug's new price, the cap out of the catalog. */
export const NEW_MUG_PRICE = '3490'
const DELETED = 'bone'
const KEPT = 'camiseta'

const CONFIG: Record<string, string> = {
  'cleanup.policy': 'compact',
  // Small segments and a low dirty ratio, so the cleaner may compact within a class (a segment still
  // being written, the active one, is never compacted).
  'segment.ms': '10000',
  'min.cleanable.dirty.ratio': '0.01'
}

const topicOf = (ctx: ExerciseContext): string => ctx.topicPrefix + PRICES_TOPIC

/** The last record of each key, in the order the topic holds them (one partition). */
function latestByKey (records: readonly StoredRecord[]): Map<string, StoredRecord> {
  const latest = new Map<string, StoredRecord>()
  for (const r of [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    if (r.key !== null) latest.set(r.key, r)
  }
  return latest
}

const shown = (r: StoredRecord | undefined): string => r === undefined ? '(ausente)' : r.value === null ? '(tombstone)' : `"${r.value.toString('utf8')}"`

export default defineExercise({
  n: 12,
  slug: '12-compactacao-e-tombstones',
  title: 'Compactação de log: o último valor de cada chave e o tombstone',
  concepts: ['topicos', 'particoes'],
  setup: async (ctx) => {
    const topic = topicOf(ctx)
    const admin = ctx.admin('vitrine-exercise-12')
    try {
      if (!(await admin.listTopics()).includes(topic)) {
        const brokers = (await admin.metadata({ topics: [] })).brokers.size
        await admin.createTopics({ topics: [topic], partitions: 1, replicas: Math.min(3, Math.max(1, brokers)), configs: Object.entries(CONFIG).map(([name, value]) => ({ name, value })) })
      } else {
        // Run again (RESET=1): a topic whose policy was changed by hand is compacted again.
        await admin.incrementalAlterConfigs({
          resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs: Object.entries(CONFIG).map(([name, value]) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.SET, value })) }]
        })
      }
    } finally {
      await admin.close().catch(() => {})
    }
    // The seed written again is the starting state again: the last record of each key is what counts.
    const producer = new EventProducer(ctx.brokers, 'vitrine-exercise-12', pino({ level: 'warn' }), undefined, { security: ctx.security })
    try {
      await producer.connect()
      await producer.sendAll(Object.entries(SEED).map(([key, value]) => ({ topic, key, value: Buffer.from(value), headers: {} })))
    } finally {
      await producer.close().catch(() => {})
    }
  },
  check: async (ctx) => {
    const topic = topicOf(ctx)
    const admin = ctx.admin('vitrine-exercise-12')
    let policy: string | undefined
    try {
      if (!(await admin.listTopics()).includes(topic)) return { done: false, missing: [`o tópico ${topic} não existe: rode make exercicio N=12 para prepará-lo`] }
      const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['cleanup.policy'] }] })
      policy = described?.configs.find(c => c.name === 'cleanup.policy')?.value ?? undefined
    } finally {
      await admin.close().catch(() => {})
    }
    const records = await readTopicNow(ctx.brokers, topic, 5000, ctx.security)
    const latest = latestByKey(records)
    const missing: string[] = []
    if (policy !== 'compact') missing.push(`${topic} não é mais compactado (cleanup.policy=${policy ?? '?'}): prepare de novo com make exercicio N=12 RESET=1`)
    const mug = latest.get('caneca')
    if (mug?.value?.toString('utf8') !== NEW_MUG_PRICE) {
      missing.push(`o preço atual da caneca (o último registro com a chave caneca) é ${shown(mug)}: escreva um novo registro com a chave caneca e o valor ${NEW_MUG_PRICE}`)
    }
    const cap = latest.get(DELETED)
    if (cap !== undefined && cap.value !== null) {
      missing.push(cap.value.length === 0
        ? `o último registro de ${DELETED} tem valor vazio (""), que não é um tombstone: um tombstone tem valor null (veja null.marker no console-producer)`
        : `${DELETED} ainda tem preço ${shown(cap)}: apague a chave com um tombstone (um registro com a chave ${DELETED} e valor null)`)
    }
    const shirt = latest.get(KEPT)
    if (shirt === undefined || shirt.value === null) missing.push(`${KEPT} sumiu do catálogo (${shown(shirt)}): ela deveria continuar; prepare de novo com make exercicio N=12 RESET=1`)
    const seen = [
      `${topic}: ${records.length} registro(s) guardado(s) para ${latest.size} chave(s)${records.length > latest.size ? ' (valores antigos ainda no log: o cleaner não passou por eles)' : ''}`,
      `último valor por chave: ${[...latest].map(([k, r]) => `${k}=${shown(r)}`).join(', ')}`
    ]
    if (cap === undefined) seen.push(`${DELETED} não aparece mais: a compactação já removeu seus valores e o tombstone`)
    return { done: missing.length === 0, missing, seen }
  }
})
