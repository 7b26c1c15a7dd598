import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { buildRoutes, emptyDb } from '@vitrine/service-kit'

type T = { after: (fn: () => Promise<void>) => void }

/**
 * The service's routes on the kit's options and error handler, with no broker and a database that
 * has no rows (kit's emptyDb): what a route refuses, and its 404s, need nothing else. `given`
 * stands in for other clients (e.g. the traffic generator); closed after the test.
 */
export async function build<O extends Record<string, unknown>> (t: T, routes: FastifyPluginAsync<O>, opts: O, given: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const app = await buildRoutes(routes, opts, [], { sql: emptyDb, ...given })
  t.after(async () => { await app.close() })
  return app
}

export type FieldErr = { field: string, rule: string }
/** [field, rule] of each error in a SHOP_ERR_VALIDATION body. */
export const named = (body: { errors?: FieldErr[] }): string[][] => (body.errors ?? []).map(e => [e.field, e.rule])
