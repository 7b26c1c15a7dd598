import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '@vitrine/service-kit'
import type { CommandName, SagaState } from '../machine.ts'
import type { SagaRow } from '../sagas.ts'
import { ErrorBody } from '../schemas/common.ts'
import { SagaList, SagaListQuery, SagaParams, SagaView } from '../schemas/sagas.ts'

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

/** Read-only views of the orchestrated sagas: the state a class inspects, with its history. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/sagas/:orderId', { schema: { params: SagaParams, response: { 200: SagaView, 404: ErrorBody } } }, async (request) => {
    const [s] = await fastify.sql<SagaRow[]>`select * from sagas where order_id = ${request.params.orderId}`
    if (!s) throw notFound('saga for order', request.params.orderId)
    const transitions = await fastify.sql`select from_state, to_state, cause, commands, at from saga_transitions where order_id = ${s.order_id} order by id`
    return {
      orderId: s.order_id,
      state: s.state,
      step: s.step,
      stepDeadlineAt: iso(s.step_deadline_at),
      orderDeadlineAt: s.order_deadline_at.toISOString(),
      compensate: s.compensate,
      awaiting: Object.entries(s.awaiting).map(([command, eventId]) => ({ command: command as CommandName, eventId: eventId! })),
      outcome: s.outcome,
      failureReason: s.failure_reason,
      failureDetail: s.failure_detail,
      resends: s.resends,
      attention: s.attention === null ? null : { reason: s.attention, since: iso(s.attention_at) ?? s.updated_at.toISOString() },
      order: s.order_data,
      createdAt: s.created_at.toISOString(),
      updatedAt: s.updated_at.toISOString(),
      finishedAt: iso(s.finished_at),
      transitions: transitions.map(t => ({ from: (t.from_state as string | null) ?? null, to: t.to_state as string, cause: t.cause as string, commands: t.commands as string[], at: (t.at as Date).toISOString() }))
    }
  })

  fastify.get('/sagas', { schema: { querystring: SagaListQuery, response: { 200: SagaList } } }, async (request) => {
    const { state, limit } = request.query
    const rows = state
      ? await fastify.sql<SagaRow[]>`select * from sagas where state = ${state} order by created_at desc limit ${limit}`
      : await fastify.sql<SagaRow[]>`select * from sagas order by created_at desc limit ${limit}`
    const counts = await fastify.sql`select state, count(*)::int as n from sagas group by state`
    return {
      sagas: rows.map(s => ({ orderId: s.order_id, state: s.state as SagaState, step: s.step, outcome: s.outcome, failureReason: s.failure_reason, attention: s.attention, createdAt: s.created_at.toISOString(), finishedAt: iso(s.finished_at) })),
      counts: Object.fromEntries(counts.map(c => [c.state as string, c.n as number]))
    }
  })
}

export default routes
