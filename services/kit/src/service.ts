import Fastify from 'fastify'
import type { FastifyInstance, FastifyPluginAsync, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import closeWithGrace from 'close-with-grace'
import type { ServiceName } from '@vitrine/contracts'
import type { BaseConfigType } from './config.ts'
import configPlugin from './plugins/config.ts'
import metricsPlugin from './plugins/metrics.ts'
import postgresPlugin from './plugins/postgres.ts'
import registryPlugin from './plugins/registry.ts'
import producerPlugin from './plugins/producer.ts'
import outboxPlugin from './plugins/outbox.ts'
import consumersPlugin from './plugins/consumers.ts'
import stepPlugin from './plugins/step.ts'
import healthPlugin from './plugins/health.ts'
import faultsPlugin from './plugins/faults.ts'
import openapiPlugin from './plugins/openapi.ts'
import authPlugin from './plugins/auth.ts'
import { KIT_ACCESS } from './auth.ts'
import type { AccessPolicy } from './auth.ts'
import doorsPlugin from './plugins/doors.ts'
import errorsPlugin, { sendClientError, sendError } from './plugins/errors.ts'
import { buildValidator } from './validation.ts'

export type ServiceConfig = BaseConfigType & { PORT: number }

export interface KitOptions {
  service: ServiceName
  /** The PostgreSQL schema this service owns. */
  schema: string
  migrationsDir?: string
  config: ServiceConfig
  /** What the service does, in pt-BR: the first lines of its OpenAPI document (GET /openapi.json). */
  description?: string
  /** Who may call the service's own routes (HTTP_AUTH=jwt); the kit's routes are in KIT_ACCESS. */
  access?: AccessPolicy
}

/**
 * Registers the clients every service uses, in dependency order (so onClose, which runs in
 * reverse, stops consumers first, then the outbox relay, the producer and the database pool).
 */
export const kit = fp<KitOptions>(async (fastify, opts) => {
  await fastify.register(errorsPlugin)
  // Before any route and the token check: Host, Origin and rate limits are checked first (plugins/doors.ts).
  await fastify.register(doorsPlugin, { config: opts.config })
  // Before any route (the OpenAPI document's included): it gives every route its token check.
  await fastify.register(authPlugin, { config: opts.config, policy: { ...KIT_ACCESS, ...opts.access } })
  // Before any route: the document is generated from the routes registered after it.
  await fastify.register(openapiPlugin, { service: opts.service, description: opts.description ?? `O serviço ${opts.service} da Vitrine.` })
  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(metricsPlugin, { service: opts.service })
  // Before the database and the consumers: both read the fault toggles.
  await fastify.register(faultsPlugin, { service: opts.service })
  await fastify.register(postgresPlugin, { schema: opts.schema, ...(opts.migrationsDir ? { migrationsDir: opts.migrationsDir } : {}) })
  await fastify.register(registryPlugin, { service: opts.service })
  await fastify.register(producerPlugin, { service: opts.service })
  await fastify.register(outboxPlugin, { service: opts.service })
  await fastify.register(consumersPlugin, { service: opts.service })
  await fastify.register(stepPlugin, { service: opts.service })
  await fastify.register(healthPlugin, { service: opts.service })
}, { name: 'vitrine-kit' })

export function serverOptions (service: string, config: ServiceConfig): FastifyServerOptions {
  return {
    logger: config.LOG_LEVEL === 'silent'
      ? false
      : { level: config.LOG_LEVEL, base: { service }, timestamp: () => `,"time":"${new Date().toISOString()}"` },
    bodyLimit: 64 * 1024,
    // Unknown fields are rejected, not silently dropped; every broken rule is reported at once.
    // Query strings and params are coerced ('array'); bodies never are (validation.ts).
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true, strictNumbers: true } },
    schemaController: { compilersFactory: { buildValidator: buildValidator() } },
    // Route schemas name a too-long param's field (topic names reach 249 characters); this only bounds the router.
    routerOptions: { maxParamLength: 512 },
    // Errors Fastify answers before any route runs (bad URL encoding, too-long params) get the same body.
    frameworkErrors: sendError,
    // ...and so do requests Node's HTTP parser refuses before Fastify sees them.
    clientErrorHandler: sendClientError,
    // On close, only idle keep-alive sockets are cut; a request in flight gets its response (its order may
    // have committed already) before the server closes and the onClose hooks stop consumers, relay and pool.
    // New requests meanwhile get 503 with Connection: close; close-with-grace bounds the wait.
    forceCloseConnections: 'idle',
    // Slow clients cannot hold the server: a request must arrive whole in time, an idle connection is cut.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS ?? 30_000,
    connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS ?? 360_000
  }
}

export type App<C extends ServiceConfig = ServiceConfig> = FastifyPluginAsync<{ config: C }>

/** Builds an app without listening: what tests use with `inject`. */
export async function buildApp<C extends ServiceConfig> (service: string, app: App<C>, config: C): Promise<FastifyInstance> {
  // No type provider here: routes declare theirs (TypeBox) where they are written, and the root stays a plain FastifyInstance.
  const fastify = Fastify(serverOptions(service, config))
  // fp() lifts the app's decorators to the root instance, so tests and server.ts see fastify.sql etc.
  await fastify.register(fp(app), { config })
  await fastify.ready()
  return fastify
}

/** A database stand-in for routes-only tests: every query answers no rows (a lookup is a 404, a list is empty). */
export const emptyDb = async (): Promise<never[]> => []

/**
 * A service's routes alone, on the options and error handler every service uses: for tests of what
 * is refused before a handler runs, with no database or broker. Each named client (`sql`,
 * `kafkaConsole`...) is a stand-in that throws, so a request that gets past validation is a 500;
 * `given` decorates with stand-ins that answer (e.g. `{ sql: emptyDb }`, for 404s and empty lists).
 */
export async function buildRoutes<O extends Record<string, unknown>> (routes: FastifyPluginAsync<O>, opts: O, clients: string[], given: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions('routes-test', { LOG_LEVEL: 'silent' } as ServiceConfig))
  await fastify.register(errorsPlugin)
  // So a test can read the routes' OpenAPI document (fastify.swagger()) without a broker.
  await fastify.register(openapiPlugin, { service: 'routes-test', description: 'As rotas de um serviço, num teste.' })
  for (const [name, value] of Object.entries(given)) fastify.decorate(name, value)
  const absent = (name: string): never => { throw new Error(`${name} is not available in a routes-only test`) }
  for (const name of clients) {
    // Fastify reads getter/setter off a decoration to tell accessors apart; anything else throws.
    const standIn: object = new Proxy(() => absent(name), {
      get: (_t, prop) => (prop === 'getter' || prop === 'setter' || prop === 'then' ? undefined : () => absent(`${name}.${String(prop)}`)),
      apply: () => absent(name)
    })
    fastify.decorate(name, standIn)
  }
  await fastify.register(routes, opts)
  await fastify.ready()
  return fastify
}

/** The only place that listens and shuts down: SIGTERM/SIGINT close the app, running every onClose hook. */
export async function startServer<C extends ServiceConfig> (service: string, app: App<C>, config: C): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions(service, config))
  await fastify.register(fp(app), { config })
  closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
    if (err) fastify.log.error({ err }, 'closing after an uncaught error')
    else fastify.log.info({ signal }, 'shutting down')
    await fastify.close()
  })
  await fastify.listen({ port: config.PORT, host: config.HOST })
  return fastify
}
