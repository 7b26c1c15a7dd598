import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import { Type } from 'typebox'
// The services' server options, error handler and error body: the control plane answers like them.
import { ErrorBody, errorsPlugin, serverOptions } from '@vitrine/service-kit'
import type { ServiceConfig } from '@vitrine/service-kit'
import type { ControlPlane } from './plane.ts'
import { ActionName, ActionResult, ComponentName, ComponentStatus, Health, ResetReport, StatusList } from './schemas.ts'

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

const controlApp: FastifyPluginAsyncTypebox<{ plane: ControlPlane }> = async (fastify, { plane }) => {
  await fastify.register(errorsPlugin)

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
}

export default controlApp
