import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { buildRoutes } from '@vitrine/service-kit'

type T = { after: (fn: () => Promise<void>) => void }

/**
 * The service's routes on the kit's options and error handler, with no broker and a database that
 * has no rows (every query answers []): what a route refuses, and its 404s, need nothing else.
 * `decorations` stand in for other clients (e.g. the traffic generator); any client not given throws.
 */
export async function buildRoutesTest<O extends Record<string, unknown>> (t: T, routes: FastifyPluginAsync<O>, opts: O, decorations: Record<string, unknown> = {}, absent: string[] = []): Promise<FastifyInstance> {
  const emptyDb = async (): Promise<unknown[]> => []
  const wrapped: FastifyPluginAsync<O> = async (f, o) => {
    const clients: Record<string, unknown> = { sql: emptyDb, ...decorations }
    for (const [name, value] of Object.entries(clients)) f.decorate(name, value)
    await f.register(routes, o)
  }
  const app = await buildRoutes(wrapped, opts, absent)
  t.after(async () => { await app.close() })
  return app
}

export type FieldErr = { field: string, rule: string }
export const named = (body: { errors?: FieldErr[] }): string[][] => (body.errors ?? []).map(e => [e.field, e.rule])
