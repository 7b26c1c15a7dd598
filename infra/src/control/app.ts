import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import { Type } from 'typebox'
import type { Static } from 'typebox'
// The services' server options, error handler and error body: the control plane answers like them.
import { BaseConfig, ErrorBody, doorsPlugin, errorsPlugin, loadConfig, serverOptions } from '@vitrine/service-kit'
import type { ServiceConfig } from '@vitrine/service-kit'
import type { ControlPlane } from './plane.ts'
import { ActionName, ActionResult, ComponentName, ComponentStatus, ExerciseList, ExerciseNumber, ExerciseStatus, Health, ResetReport, StatusList } from './schemas.ts'
import { EXERCISES, exercise } from '../exercises/index.ts'
import { checkAll, readBoard, runCheck, runSetup } from '../exercises/board.ts'
import type { ExerciseState } from '../exercises/board.ts'
import { exerciseContext } from '../exercises/context.ts'
import chaosRoutes from './chaos.ts'
import faultRoutes from './faults.ts'
import adminActions from './admin-actions.ts'
import type { DrillTimings } from '../chaos/drills.ts'

// The control plane over HTTP, bound to 127.0.0.1 (server.ts).

/** The services' options (validation, framework errors in the SHOP_ERR_* body), with room for a reset. */
export function controlServerOptions (logLevel: string): FastifyServerOptions {
  return {
    ...serverOptions('control', { LOG_LEVEL: logLevel } as ServiceConfig),
    // A reset stops and starts the services: longer than an ordinary request.
    requestTimeout: 300_000
  }
}

/** Lets everyone through until Vitrine has authentication (see the TODO above). */
async function requireInstructor (_request: FastifyRequest): Promise<void> {}

export interface ControlAppOptions {
  plane: ControlPlane
  /** Checks every exercise this often in the background (the UI's scoreboard turns done by itself); off when unset. */
  exerciseCheckMs?: number
  /** The chaos drills' pace (a test shortens the calm start and the waits). */
  drillTimings?: Partial<DrillTimings>
}

/** An exercise's board state with what the UI shows beside it. */
function exerciseRow (s: ExerciseState): Static<typeof ExerciseStatus> {
  const e = exercise(s.n)!
  return { ...s, slug: e.slug, title: e.title, concepts: e.concepts, page: `runbooks/exercicios/${e.slug}.md`, requires: { ...e.requires } }
}

const controlApp: FastifyPluginAsyncTypebox<ControlAppOptions> = async (fastify, { plane, exerciseCheckMs, drillTimings }) => {
  await fastify.register(errorsPlugin)
  // On loopback, yet a browser page can reach it under a rebound DNS name or from another origin: the
  // services' Host and Origin checks (issue 16). No rate limit: the gateway and the tests poll it.
  const doors = loadConfig(BaseConfig, { ALLOWED_HOSTS: process.env.ALLOWED_HOSTS, ALLOWED_ORIGINS: process.env.ALLOWED_ORIGINS })
  await fastify.register(doorsPlugin, { config: { ...doors, HEALTH_DETAIL: 'all' }, rateLimit: false })

  // TODO(auth): instructor-only once authentication exists: this hook is where the instructor
  // check goes (every route but /health). Until then the API listens on 127.0.0.1 only (server.ts).
  fastify.addHook('onRequest', async (request) => {
    if (request.url === '/health') return
    await requireInstructor(request)
  })

  fastify.get('/health', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const, service: 'control' as const }))

  fastify.get('/components', { schema: { response: { 200: StatusList } } }, async () => ({ components: await plane.status() }))

  fastify.get('/components/:name', {
    schema: { params: Type.Object({ name: ComponentName }), response: { 200: ComponentStatus, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => await plane.one(request.params.name))

  // start | stop | restart | kill (SIGKILL of the process group: a real crash, for drills).
  fastify.post('/components/:name/:action', {
    schema: { params: Type.Object({ name: ComponentName, action: ActionName }), response: { 200: ActionResult, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody } }
  }, async (request) => await plane.act(request.params.name, request.params.action))

  // The whole shop back to the seed: see ControlPlane.reset.
  fastify.post('/reset', { schema: { response: { 200: ResetReport, 500: ErrorBody } } }, async () => await plane.reset())

  // The chaos drills (chaos.ts): the "Caos" page and make chaos CENA=….
  await fastify.register(chaosRoutes, { plane, ...(drillTimings !== undefined ? { timings: drillTimings } : {}) })
  // Each service's fault toggles and its broker link (faults.ts).
  await fastify.register(faultRoutes, { plane })
  // What needs the Kafka admin, relayed by the gateway: a preferred-leader election, a DLQ replay (admin-actions.ts).
  await fastify.register(adminActions, { plane })

  // The exercises (runbooks/exercicios): the scoreboard, a setup, a check. `make exercicio N=3` and
  // the gateway's /api/exercises (the UI's "Exercícios" page) go through these.
  const ctx = exerciseContext(plane)
  const stateDir = plane.settings.apps.stateDir
  const ExerciseParams = Type.Object({ n: ExerciseNumber })

  fastify.get('/exercises', { schema: { response: { 200: ExerciseList } } }, async () => ({
    exercises: readBoard(stateDir).filter(s => exercise(s.n) !== undefined).map(exerciseRow)
  }))

  fastify.post('/exercises/:n/setup', {
    schema: { params: ExerciseParams, response: { 200: ExerciseStatus, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } }
  }, async (request) => exerciseRow(await runSetup(ctx, request.params.n)))

  fastify.post('/exercises/:n/check', {
    schema: { params: ExerciseParams, response: { 200: ExerciseStatus, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } }
  }, async (request) => exerciseRow(await runCheck(ctx, request.params.n)))

  // Every exercise begun (its setup ran) checked in the background, one after the other; a tick that
  // finds the previous round still running is skipped, so slow checkers never pile up.
  let round: Promise<unknown> | undefined
  let closing = false
  const timer = exerciseCheckMs !== undefined && exerciseCheckMs > 0 && EXERCISES.length > 0
    ? setInterval(() => {
      if (round !== undefined) return
      round = checkAll(ctx, { started: true, stop: () => closing })
        .catch((err: unknown) => { fastify.log.warn({ err }, 'background exercise check failed') })
        .finally(() => { round = undefined })
    }, exerciseCheckMs)
    : undefined
  timer?.unref()
  fastify.addHook('onClose', async () => {
    closing = true
    if (timer !== undefined) clearInterval(timer)
    await round
    await ctx.close()
  })
}

export default controlApp
