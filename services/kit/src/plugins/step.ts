import fp from 'fastify-plugin'
import { HEADERS, summarizeRecord } from '@vitrine/contracts'
import type { HeldRecord } from '../kafka/consumer.ts'
import { ShopError } from '../errors.ts'
import { ErrorBody, StepChange, StepRelease, StepReleased, StepState } from '../schemas.ts'
import type { HeldEventType, StepChangeType, StepReleaseType, StepStateType } from '../schemas.ts'

/**
 * The step mode of a lesson (issue 17): the saga one event at a time. While it is on:
 * - each saga consumer holds every record before its handler until the instructor releases it
 *   (kafka/consumer.ts step(): partitions paused in librdkafka, the poll loop going on, offsets stored
 *   after the handler as always, so nothing is skipped or lost, a restart hands the record over again);
 * - the deadline sweepers (periodic tasks with `deadlines`) skip their runs: an order must not fail
 *   because the class stopped to look at it.
 * When it ends, every onThaw hook moves this service's live deadlines forward by the time the mode was
 * on, BEFORE the sweepers and the consumers run again. Skipping alone would not do: every order held
 * past its deadline would fail at the first sweep after. Shifting by the whole frozen time gives an
 * order placed during the lesson a little more than it lost, never less; an order already overdue
 * when the mode started stays overdue. The mode lives in the process: a restarted service comes back
 * flowing (the gateway's view shows which services are on).
 */
export interface StepMode {
  readonly on: boolean
  /** When the mode was turned on (ms), undefined while off. */
  readonly since: number | undefined
  /** Deadline sweepers skip while true (kit's periodic with `deadlines: true`). */
  frozen: () => boolean
  /** Runs when the mode ends with the time it was on: moves this service's deadlines forward by it. */
  onThaw: (fn: (frozenMs: number) => Promise<void>) => void
  /**
   * How long the mode was on between `from` (ms) and now: what a deadline carried inside an event
   * (orders.new's deadlineAt, which no thaw can move) gets back when the event is read late because it
   * was held. Since this process started; the last 100 periods are kept.
   */
  frozenSince: (from: number) => number
  set: (on: boolean) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    step: StepMode
  }
}

export default fp<{ service: string }>(async (fastify, opts) => {
  const thaws: Array<(frozenMs: number) => Promise<void>> = []
  let since: number | undefined
  const periods: Array<{ from: number, to: number }> = []
  let changing: Promise<void> = Promise.resolve()

  async function set (on: boolean): Promise<void> {
    if (on === (since !== undefined)) return
    if (on) {
      since = Date.now()
      fastify.consumers.step(true)
      fastify.log.warn('step mode on: saga records wait for a release, deadline sweepers frozen')
      return
    }
    // Deadlines first, while the sweepers are still frozen; then the records flow again.
    const frozenMs = Date.now() - since!
    for (const fn of thaws) {
      try {
        await fn(frozenMs)
      } catch (err) {
        fastify.log.error({ err, frozenMs }, 'moving the deadlines forward after the step mode failed')
      }
    }
    periods.push({ from: since!, to: Date.now() })
    if (periods.length > 100) periods.shift()
    since = undefined
    fastify.consumers.step(false)
    fastify.log.warn({ frozenMs }, 'step mode off: deadlines moved forward by the time frozen, records flowing')
  }

  const step: StepMode = {
    get on () { return since !== undefined },
    get since () { return since },
    frozen: () => since !== undefined,
    onThaw: fn => { thaws.push(fn) },
    frozenSince: from => {
      const now = Date.now()
      const all = since === undefined ? periods : [...periods, { from: since, to: now }]
      return all.reduce((ms, p) => ms + Math.max(0, Math.min(p.to, now) - Math.max(p.from, from)), 0)
    },
    // One change at a time: an "off" waits for the deadline shift of the one before it.
    set: async on => { changing = changing.catch(() => {}).then(async () => await set(on)); await changing }
  }
  fastify.decorate('step', step)

  const view = (r: HeldRecord): HeldEventType => ({
    service: opts.service,
    group: r.group,
    topic: r.topic,
    originTopic: r.originTopic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    eventType: r.headers[HEADERS.eventType] ?? r.originTopic,
    timestamp: new Date(r.timestamp).toISOString(),
    heldSince: new Date(r.heldSince).toISOString(),
    // The one pt-BR summary (contracts), as the live view shows the event.
    summary: summarizeRecord(r.originTopic, r.value, r.headers)
  })

  async function state (): Promise<StepStateType> {
    const held = step.on ? (await fastify.consumers.held()).map(view).sort((a, b) => a.timestamp.localeCompare(b.timestamp)) : []
    return { service: opts.service, on: step.on, since: since === undefined ? null : new Date(since).toISOString(), held }
  }

  fastify.get('/admin/step', {
    schema: { summary: 'O modo passo a passo: ligado ou não e os eventos segurados', response: { 200: StepState, 500: ErrorBody } }
  }, async () => await state())

  fastify.post('/admin/step', {
    schema: { summary: 'Liga ou desliga o modo passo a passo', body: StepChange, response: { 200: StepState, 400: ErrorBody, 500: ErrorBody } }
  }, async (request) => {
    await step.set((request.body as StepChangeType).mode === 'on')
    return await state()
  })

  fastify.post('/admin/step/release', {
    schema: { summary: 'Solta um evento segurado: o seu handler roda', body: StepRelease, response: { 200: StepReleased, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody } }
  }, async (request) => {
    const r = request.body as StepReleaseType
    if (!step.on) throw new ShopError('SHOP_ERR_STEP_OFF', 'the step mode is off: nothing is held', 409)
    const held = (await fastify.consumers.held()).find(h => h.group === r.group && h.topic === r.topic && h.partition === r.partition && h.offset === r.offset)
    if (held === undefined || !fastify.consumers.release(r)) throw new ShopError('SHOP_ERR_NOT_FOUND', `no record held at ${r.topic}[${r.partition}]@${r.offset} for group ${r.group}`, 404, { ...r })
    request.log.info({ topic: r.topic, partition: r.partition, offset: r.offset, group: r.group, orderId: held.key }, 'step mode: record released')
    return { released: view(held) }
  })

  // Not left held at shutdown: the consumers stop as usual (in-flight finishes, offsets committed).
  fastify.addHook('onClose', async () => { since = undefined })
}, { name: 'vitrine-step', dependencies: ['vitrine-consumers'] })
