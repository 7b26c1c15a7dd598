import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ShopError } from '@vitrine/service-kit'
import type { HeldEventType, StepStateType } from '@vitrine/service-kit'
import { forward } from '../../lib/upstream.ts'
import { chaosCall } from '../../lib/chaos.ts'
import { ErrorBody } from '../../schemas/common.ts'
import { SagaStepState, StepChange, StepNextResult } from '../../schemas/step.ts'
import type { GatewayConfigType } from '../../config.ts'

/**
 * The instructor's step mode across the saga: every saga service holds each record before its
 * handler and freezes its deadline sweepers (kit's plugins/step.ts, `/admin/step` on each service).
 * The gateway turns it on and off in all of them, merges what they hold, and "next" releases exactly
 * one record: the oldest held (by the time its producer wrote it, the saga's order). Its handler's
 * output then shows up held somewhere else. The gateway calls the services' own URLs (it already
 * knows them) with the caller's token: under HTTP_AUTH=jwt they too let only the instructor in.
 * A second copy of a service (the Kafka page's rebalance demonstration, listed by the control plane)
 * shares its group's partitions, so it is told too.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const fixed: Array<[string, string]> = [
    ['checkout-api', config.CHECKOUT_API_URL],
    ['payment', config.PAYMENT_URL],
    ['inventory', config.INVENTORY_URL],
    ['notification', config.NOTIFICATION_URL],
    ['orchestrator', config.ORCHESTRATOR_URL]
  ]
  const auth = (request: FastifyRequest): Record<string, string | undefined> => ({ authorization: request.headers.authorization })

  /** The saga services and the running second copies the control plane knows of (none when it does not answer). */
  async function targets (): Promise<Array<[string, string]>> {
    if (config.CONTROL_URL === undefined) return fixed
    try {
      const { status, body } = await chaosCall(config.CONTROL_URL, 'GET', '/components', Math.min(config.CONTROL_TIMEOUT_MS ?? 2000, 2000))
      if (status !== 200) return fixed
      const copies = (body as { components?: Array<{ name: string, alive: boolean, copyOf?: string, ports: Array<{ port: number }> }> }).components ?? []
      return [...fixed, ...copies.filter(c => c.copyOf !== undefined && c.alive && c.ports[0] !== undefined).map(c => [c.name, `http://127.0.0.1:${c.ports[0]!.port}`] as [string, string])]
    } catch {
      return fixed
    }
  }

  /** Each service's answer; one that does not answer (the orchestrator in a choreography-only run) is reported, not fatal. */
  async function each (request: FastifyRequest, method: 'GET' | 'POST', body?: unknown): Promise<Array<{ service: string, url: string, state?: StepStateType }>> {
    return await Promise.all((await targets()).map(async ([service, url]) => {
      try {
        const a = await forward(service, url, method, '/admin/step', { headers: auth(request), timeoutMs: 10_000, ...(body !== undefined ? { body } : {}) })
        if (a.status !== 200) {
          request.log.warn({ service, status: a.status, body: a.body }, 'step mode: the service refused')
          return { service, url }
        }
        // A copy answers with its service's name: the gateway names it by its own (payment-2).
        return { service, url, state: { ...(a.body as StepStateType), held: (a.body as StepStateType).held.map(h => ({ ...h, service })) } }
      } catch {
        return { service, url }
      }
    }))
  }

  function merged (answers: Array<{ service: string, url: string, state?: StepStateType }>): { on: boolean, services: Array<{ service: string, reachable: boolean, on: boolean, since: string | null }>, held: HeldEventType[], next: HeldEventType | null } {
    const reachable = answers.filter(a => a.state !== undefined)
    const held = reachable.flatMap(a => a.state!.held)
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.heldSince.localeCompare(b.heldSince) || a.service.localeCompare(b.service) || a.partition - b.partition || a.offset - b.offset)
    return {
      on: reachable.length > 0 && reachable.every(a => a.state!.on),
      services: answers.map(a => ({ service: a.service, reachable: a.state !== undefined, on: a.state?.on ?? false, since: a.state?.since ?? null })),
      held,
      next: held[0] ?? null
    }
  }

  fastify.get('/admin/step', {
    schema: { response: { 200: SagaStepState, 502: ErrorBody } }
  }, async (request) => merged(await each(request, 'GET')))

  fastify.post('/admin/step', {
    schema: { body: StepChange, response: { 200: SagaStepState, 400: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const answers = await each(request, 'POST', request.body)
    if (answers.every(a => a.state === undefined)) throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', 'no saga service answered', 502, { services: answers.map(a => a.service) })
    return merged(answers)
  })

  fastify.post('/admin/step/next', {
    schema: { response: { 200: StepNextResult, 409: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const answers = await each(request, 'GET')
    const state = merged(answers)
    if (!state.services.some(s => s.on)) throw new ShopError('SHOP_ERR_STEP_OFF', 'the step mode is off: nothing is held', 409)
    const next = state.next
    if (next === null) return { released: null }
    const a = await forward(next.service, answers.find(x => x.service === next.service)!.url, 'POST', '/admin/step/release', {
      headers: auth(request),
      body: { group: next.group, topic: next.topic, partition: next.partition, offset: next.offset }
    })
    // Released meanwhile (the mode turned off, another click): nothing to release now.
    if (a.status === 404 || a.status === 409) return { released: null }
    if (a.status !== 200) throw new ShopError('SHOP_ERR_UPSTREAM', `${next.service} answered ${a.status} to the release`, 502, { service: next.service })
    return { released: (a.body as { released: HeldEventType }).released }
  })
}

export default routes
