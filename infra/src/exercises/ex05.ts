import pino from 'pino'
import { DLQ_TOPIC, HEADERS } from '@vitrine/contracts'
import { EventProducer, endOffsets, readFrom, replayedAlready } from '@vitrine/service-kit'
import type { Db, StoredRecord } from '@vitrine/service-kit'
import { createAdmin } from '../topics.ts'
import { committedOffsets } from './offsets.ts'
import { sleep } from '../proc.ts'
import { waitFor } from '../testing/saga-env.ts'
import { ordersById, pidOf, placeOrder, productWithStock, readExerciseState, sagaViolations, startSaga, writeExerciseState } from './saga.ts'
import type { ExerciseContext } from './types.ts'
import { defineExercise } from './types.ts'

// Exercise 5: a dead letter. The incident the setup stages: an orchestrated order was paid and its
// stock reserved, but checkout-api gave up on the orchestrator's CONFIRM (its database out for longer
// than the retry ladder) and went down. The setup does what kit's consumer engine does when a handler
// fails for good: a copy of the record with the failure headers in orders.dlq, and the group's
// offset moved past it; then it leaves checkout-api stopped. The student finds the record (make dlq,
// the UI, console-consumer), brings the failed service back (the cause still present), redrives the
// record (make dlq-replay) and sees the order confirmed. What the checker reads: checkout-api running,
// the replay ledger (vitrine_ops.dlq_replays) holding that DLQ record, the order confirmed and
// notified, and the saga's promises (one charge, stock sold once, the ledger adding up).

const N = 5
const SERVICE = 'checkout-api'

interface DeadLetterState { orderId: string, at: string, dlq: { topic: string, partition: number, offset: number, timestamp: number }, others: number }

/** A copy in orders.dlq exactly as kit's consumer engine writes one after the retry ladder (kafka/consumer.ts deadLetter). */
function deadLetterOf (ctx: ExerciseContext, r: StoredRecord): { topic: string, key: string, value: Buffer, headers: Record<string, string> } {
  return {
    topic: ctx.topicPrefix + DLQ_TOPIC,
    key: r.key ?? '',
    value: r.value ?? Buffer.alloc(0),
    headers: {
      ...r.headers,
      [HEADERS.originalTopic]: r.topic,
      [HEADERS.originalPartition]: String(r.partition),
      [HEADERS.originalOffset]: String(r.offset),
      [HEADERS.error]: 'Error: connect ECONNREFUSED (exercício 5: o banco do checkout-api ficou fora do ar durante todas as retentativas; falha encenada pela preparação)',
      [HEADERS.attempts]: '4',
      [HEADERS.failedBy]: `${SERVICE}/${SERVICE}${ctx.groupSuffix}`,
      [HEADERS.reason]: 'retries_exhausted'
    }
  }
}

/** The records of one partition from `start` up to `last`, as they are in the topic. */
async function recordsUpTo (brokers: string, topic: string, partition: number, start: number, last: number): Promise<StoredRecord[]> {
  const { records } = await readFrom(brokers, [{ topic, partition, offset: start }], kept => kept.some(r => r.offset >= last), { timeoutMs: 30_000, keep: r => r.offset <= last })
  return records.filter(r => r.partition === partition && r.offset >= start && r.offset <= last)
}

async function stage (ctx: ExerciseContext): Promise<DeadLetterState> {
  await startSaga(ctx)
  const productId = await productWithStock(ctx, 1)
  const at = new Date().toISOString()
  const commands = ctx.topicPrefix + 'orders.commands'
  // The traffic generator (it lives in checkout-api) off, and the orders in flight let end: the only
  // outcome checkout-api has not read when it stops is then this exercise's.
  await fetch(`${ctx.serviceUrl(SERVICE)}/traffic`, { method: 'DELETE', signal: AbortSignal.timeout(5000) }).catch(() => {})
  await waitFor('the orders in flight to end', async () => {
    const [row] = await ctx.sql.unsafe<Array<{ n: number }>>(`select count(*)::int as n from "${ctx.schema(SERVICE)}".orders where status = 'pending' and created_at > now() - interval '60 seconds'`)
    return row?.n === 0
  }, 40_000, 500).catch(() => {})
  // The orchestrator waits while the order goes in, so its CONFIRM comes after checkout-api has stopped.
  await ctx.plane.act('orchestrator', 'stop')
  // pay-ok: the payment trigger that always approves, so the order can only end confirmed.
  const orderId = await placeOrder(ctx, { customerId: 'ex05-pay-ok', items: [{ productId, quantity: 1 }], mode: 'orchestration' })
  // Published before checkout-api stops, or the orchestrator would never hear of the order.
  await waitFor(`checkout-api to publish orders.new of ${orderId}`, async () => {
    const [row] = await ctx.sql.unsafe(`select published_at from "${ctx.schema(SERVICE)}".outbox where topic = 'orders.new' and key = $1`, [orderId])
    return row?.published_at != null
  }, 30_000)
  const from = await endOffsets(ctx.brokers, [commands])
  await ctx.plane.act(SERVICE, 'stop')
  await ctx.plane.act('orchestrator', 'start')
  const { records, done } = await readFrom(ctx.brokers, from, kept => kept.length > 0, { timeoutMs: 60_000, keep: r => r.key === orderId })
  const confirm = records[0]
  if (!done || confirm === undefined) throw new Error(`the orchestrator sent no outcome for ${orderId} on ${commands}`)

  const group = SERVICE + ctx.groupSuffix
  const admin = createAdmin(ctx.brokers, 'vitrine-exercise')
  const producer = new EventProducer(ctx.brokers, 'vitrine-exercise', pino({ level: 'warn' }))
  try {
    // The group may stand before the CONFIRM on its partition (other orders' outcomes): those are given up too, as a consumer would.
    const committed = (await committedOffsets(admin, group, commands)).get(confirm.partition)
    const [low] = await admin.listOffsets({ topics: [{ name: commands, partitions: [{ partitionIndex: confirm.partition, timestamp: -2n }] }] })
    const start = committed ?? Number(low?.partitions[0]?.offset ?? 0)
    const given = start <= confirm.offset ? await recordsUpTo(ctx.brokers, commands, confirm.partition, start, confirm.offset) : []
    await producer.connect()
    let dlq: DeadLetterState['dlq'] | undefined
    for (const r of given) {
      const d = await producer.send(deadLetterOf(ctx, r))
      if (r.offset === confirm.offset) dlq = { topic: d.topic, partition: d.partition, offset: d.offset, timestamp: 0 }
    }
    if (dlq === undefined) throw new Error(`${group} had already read past ${commands}[${confirm.partition}]@${confirm.offset}`)
    // The group has no member (checkout-api stopped): the broker takes the move at once, or once the member's leave went through.
    for (let i = 0; ; i++) {
      try {
        await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: commands, partitionOffsets: [{ partition: confirm.partition, offset: BigInt(confirm.offset + 1) }] }] })
        break
      } catch (err) {
        if (i > 30) throw err
        await sleep(1000)
      }
    }
    const back = await readFrom(ctx.brokers, [{ topic: dlq.topic, partition: dlq.partition, offset: dlq.offset }], kept => kept.length > 0, { timeoutMs: 15_000, keep: r => r.offset === dlq!.offset })
    const copy = back.records[0]
    if (copy === undefined) throw new Error(`could not read back ${dlq.topic}[${dlq.partition}]@${dlq.offset}`)
    // The replay ledger keys a DLQ record by its timestamp too: the checker looks for exactly this one.
    dlq.timestamp = copy.timestamp
    return { orderId, at, dlq, others: given.length - 1 }
  } finally {
    await producer.close().catch(() => {})
    await admin.close().catch(() => {})
  }
}

export default defineExercise({
  n: N,
  slug: '05-mensagem-envenenada',
  title: 'Mensagem na DLQ: achar, corrigir a causa, devolver',
  concepts: ['dlq', 'consumidores', 'idempotencia'],
  setup: async (ctx) => {
    writeExerciseState(ctx, N, await stage(ctx))
  },
  check: async (ctx) => {
    const state = readExerciseState<DeadLetterState>(ctx, N)
    if (!state) return { done: false, missing: ['o exercício ainda não foi preparado: rode make exercicio N=5'] }
    const { orderId, dlq } = state
    const short = orderId.slice(0, 8)
    const missing: string[] = []
    const seen = [`pedido ${orderId} (orquestração); a mensagem dele está na ${dlq.topic}, partição ${dlq.partition}, offset ${dlq.offset}`]
    const pid = pidOf(ctx, SERVICE)
    if (pid === undefined) missing.push('o checkout-api, que desistiu da mensagem, continua fora do ar: suba-o (make start S=checkout-api) antes de devolver a mensagem')
    else seen.push(`checkout-api rodando (pid ${pid})`)
    const replayed = await replayedAlready(ctx.sql as unknown as Db, dlq)
    if (!replayed) missing.push(`a mensagem do pedido ${short} (offset ${dlq.offset} da ${dlq.topic}) ainda não foi devolvida ao grupo que desistiu dela: veja-a com make dlq e devolva só ela com make dlq-replay`)
    else seen.push(`offset ${dlq.offset} da ${dlq.topic} devolvido (registro em vitrine_ops.dlq_replays)`)
    const [order] = await ordersById(ctx, [orderId])
    if (order === undefined) {
      missing.push(`o checkout-api não conhece o pedido ${short}: prepare de novo com make exercicio N=5 RESET=1`)
    } else if (order.status === 'pending') {
      missing.push(`o pedido ${short} continua pendente: o CONFIRM dele ainda não foi tratado pelo checkout-api`)
    } else if (order.status === 'failed') {
      missing.push(`o pedido ${short} terminou como failed (${order.reason ?? '?'}), mas ele foi pago e reservado: era para confirmar`)
    } else {
      seen.push(`pedido ${short} confirmado`)
    }
    const broken = await sagaViolations(ctx, [orderId])
    missing.push(...broken)
    if (broken.length === 0 && order?.status === 'confirmed') seen.push('uma cobrança só, estoque vendido uma vez, cliente avisado e livro de estoque fechando')
    return { done: missing.length === 0, missing, seen }
  }
})
