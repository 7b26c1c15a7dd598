import fp from 'fastify-plugin'
import { HEADERS } from '@vitrine/contracts'
import { onReply, startSaga } from './sagas.ts'

/**
 * What the orchestrator reads, topic → handler (types from contracts' catalog): orders.new starts
 * an orchestrated saga (choreographed orders pass by untouched), the participants' replies move it on.
 */
export default fp(async (fastify) => {
  const o = fastify.orchestrator
  const causation = (headers: Record<string, string>): string | null => headers[HEADERS.causationId] ?? null
  fastify.consumers.add({
    reader: 'orchestrator',
    group: 'orchestrator',
    on: {
      'orders.new': async (order, ctx) => {
        if (ctx.mode !== 'orchestration') return
        await startSaga(o, order, ctx)
      },
      'payments.replies': async (reply, ctx) => { await onReply(o, { kind: 'payment-reply', reply, causationId: causation(ctx.headers) }, ctx) },
      'inventory.replies': async (reply, ctx) => { await onReply(o, { kind: 'inventory-reply', reply, causationId: causation(ctx.headers) }, ctx) }
    }
  })
}, { name: 'orchestrator-consumers', dependencies: ['vitrine-consumers', 'orchestrator-sagas'] })
