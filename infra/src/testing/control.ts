import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import controlApp, { controlServerOptions } from '../control/app.ts'
import type { ControlPlane } from '../control/plane.ts'
import type { DrillTimings } from '../chaos/drills.ts'

// The control plane's HTTP API for a test, as server.ts serves it in make demo but on a free port
// and over the test's own ControlPlane (e.g. an exercise shop's): what the gateway's Exercícios
// routes and make exercicio talk to.

export interface ControlApi { url: string, close: () => Promise<void> }

export async function startControlApi (plane: ControlPlane, options: { exerciseCheckMs?: number, drillTimings?: Partial<DrillTimings> } = {}): Promise<ControlApi> {
  const fastify = Fastify(controlServerOptions(process.env.TEST_LOG_LEVEL ?? 'silent')).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(controlApp, { plane, ...(options.exerciseCheckMs !== undefined ? { exerciseCheckMs: options.exerciseCheckMs } : {}), ...(options.drillTimings !== undefined ? { drillTimings: options.drillTimings } : {}) })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  return { url: `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`, close: async () => { await fastify.close() } }
}
