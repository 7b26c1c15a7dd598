import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '../../schemas/common.ts'
import { ResetReport, ResetRequest } from '../../schemas/admin.ts'
import { chaosCall } from '../../lib/chaos.ts'
import type { GatewayConfigType } from '../../config.ts'
import step from './step.ts'

/**
 * The instructor bar's reset: `make reset` through the control plane (its POST /reset): the shop's
 * tables emptied, stock back to the seed, the shop's groups at the end of their topics, the
 * services restarted and the traffic rate restored. The body must say `{ "confirm": "reset" }`.
 * TODO(auth): instructor-only once JWT roles exist.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  fastify.post('/admin/reset', {
    schema: { body: ResetRequest, response: { 200: ResetReport, 400: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (_request, reply) => {
    // A reset stops and starts every service: it gets longer than an ordinary control-plane call.
    const { status, body } = await chaosCall(config.CONTROL_URL, 'POST', '/reset', Math.max(config.CONTROL_TIMEOUT_MS, 120_000))
    return await (reply as FastifyReply).code(status).send(body)
  })

  // The step mode (one saga event per click), the instructor's too.
  await fastify.register(step, { config })
}

export default routes
