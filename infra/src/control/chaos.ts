import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DrillRequest, DrillRun, DrillRunList, DrillRunParams, DrillSceneList, ErrorBody, invalidInput } from '@vitrine/service-kit'
import { ChaosDrills, sceneNames } from '../chaos/drills.ts'
import type { DrillTimings, SceneName } from '../chaos/drills.ts'
import type { ControlPlane } from './plane.ts'

// The chaos drills over HTTP (infra/src/chaos/drills.ts): the scenes and whether each can run on
// this shop, a drill started in the background (one at a time), and its run with the timeline.
// The gateway's /api/chaos (the "Caos" page) and `make chaos CENA=…` go through these.

export interface ChaosRoutesOptions { plane: ControlPlane, timings?: Partial<DrillTimings> }

const chaosRoutes: FastifyPluginAsyncTypebox<ChaosRoutesOptions> = async (fastify, { plane, timings }) => {
  const drills = new ChaosDrills(plane, timings)
  fastify.addHook('onClose', async () => { await drills.close() })

  fastify.get('/chaos/scenes', { schema: { response: { 200: DrillSceneList } } }, async () => ({ scenes: drills.scenes() }))

  fastify.get('/chaos/drills', { schema: { response: { 200: DrillRunList } } }, async () => ({ runs: drills.list() }))

  fastify.get('/chaos/drills/:id', {
    schema: { params: DrillRunParams, response: { 200: DrillRun, 400: ErrorBody, 404: ErrorBody } }
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
