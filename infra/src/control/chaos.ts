import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorBody, invalidInput } from '@vitrine/service-kit'
import { ChaosDrills, sceneNames } from '../chaos/drills.ts'
import type { DrillTimings, SceneName } from '../chaos/drills.ts'
import type { ControlPlane } from './plane.ts'

// The chaos drills over HTTP (infra/src/chaos/drills.ts): the scenes and whether each can run on
// this shop, a drill started in the background (one at a time), and its run with the timeline.
// The gateway's /api/chaos (the "Caos" page) and `make chaos CENA=…` go through these.

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const Scene = Type.Object({
  name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  defaultSeconds: Type.Integer(),
  unavailable: nullable(Type.String({ description: 'por que a simulação não pode rodar agora (pt-BR), ou null' }))
})
export const SceneList = Type.Object({ scenes: Type.Array(Scene) })

const InvariantCheck = Type.Object({
  name: Type.String(),
  label: Type.String(),
  ok: Type.Boolean(),
  problems: Type.Array(Type.String()),
  more: Type.Integer()
})

export const DrillRun = Type.Object({
  id: Type.String(),
  scene: Type.String(),
  title: Type.String(),
  status: Type.Enum(['running', 'passed', 'failed', 'error']),
  phase: Type.Enum(['baseline', 'fault', 'recovering', 'checking', 'done']),
  params: Type.Object({ seconds: Type.Integer(), orders: Type.Integer() }),
  startedAt: Type.String(),
  faultStartedAt: nullable(Type.String()),
  faultEndedAt: nullable(Type.String()),
  recoveredAt: nullable(Type.String()),
  finishedAt: nullable(Type.String()),
  recoverySeconds: nullable(Type.Number()),
  samples: Type.Array(Type.Object({ at: Type.String(), lag: Type.Integer(), errorsPerSec: Type.Number() })),
  events: Type.Array(Type.Object({ at: Type.String(), text: Type.String() })),
  invariants: nullable(Type.Object({ ok: Type.Boolean(), orders: Type.Integer(), checkedAt: Type.String(), checks: Type.Array(InvariantCheck) })),
  alertsFrom: nullable(Type.String({ description: 'o Prometheus cujos alertas a simulação acompanhou, ou null' })),
  alerts: Type.Array(Type.Object({
    name: Type.String(),
    severity: nullable(Type.String()),
    summary: nullable(Type.String()),
    state: Type.Enum(['pending', 'firing']),
    activeAt: nullable(Type.String()),
    firstSeenAt: Type.String(),
    firingAt: nullable(Type.String())
  })),
  orders: Type.Integer(),
  error: nullable(Type.String())
})
export const DrillRunList = Type.Object({ runs: Type.Array(DrillRun) })

export const DrillRequest = Type.Object({
  scene: Type.String({ minLength: 1, maxLength: 40, description: 'uma das cenas de GET /chaos/scenes' }),
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: 'quanto dura a falha (padrão: o da cena)' })),
  orders: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'pedidos da rajada (padrão 1000)' }))
}, { additionalProperties: false })

export interface ChaosRoutesOptions { plane: ControlPlane, timings?: Partial<DrillTimings> }

const chaosRoutes: FastifyPluginAsyncTypebox<ChaosRoutesOptions> = async (fastify, { plane, timings }) => {
  const drills = new ChaosDrills(plane, timings)
  fastify.addHook('onClose', async () => { await drills.close() })

  fastify.get('/chaos/scenes', { schema: { response: { 200: SceneList } } }, async () => ({ scenes: drills.scenes() }))

  fastify.get('/chaos/drills', { schema: { response: { 200: DrillRunList } } }, async () => ({ runs: drills.list() }))

  fastify.get('/chaos/drills/:id', {
    schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: DrillRun, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => drills.get(request.params.id))

  // 202: the drill runs in the background; its run (GET /chaos/drills/:id) fills in as it goes.
  fastify.post('/chaos/drills', {
    schema: { body: DrillRequest, response: { 202: DrillRun, 400: ErrorBody, 409: ErrorBody } }
  }, async (request, reply) => {
    const { scene, seconds, orders } = request.body
    if (!sceneNames().includes(scene)) throw invalidInput([{ field: 'body.scene', rule: 'enum', message: `must be one of ${sceneNames().join(', ')}` }])
    const run = drills.start(scene as SceneName, { ...(seconds !== undefined ? { seconds } : {}), ...(orders !== undefined ? { orders } : {}) })
    return await reply.code(202).send(run)
  })
}

export default chaosRoutes
