import { after, before } from 'node:test'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { EventTopic, SagaMode, TopicValues } from '@vitrine/contracts'
import { EventProducer, buildApp, buildRoutes, loadConfig } from '@vitrine/service-kit'
import type { Delivered } from '@vitrine/service-kit'
import { createCatalogTopics, deleteTestTopics, serviceEnv, startControlApi, startExerciseShop, testEnv } from '@vitrine/infra/testing'
import type { ExerciseShop, TestEnv } from '@vitrine/infra/testing'
import app from '../../src/app.ts'
import { GatewayConfig } from '../../src/config.ts'
import type { GatewayConfigType } from '../../src/config.ts'

// One gateway per test file, on the file's own prefixed copy of the catalog topics and its own
// group; each test uses its own order ids and random topics. Everything is removed afterwards.

export interface Harness {
  env: TestEnv
  app: FastifyInstance
  config: GatewayConfigType
  url: string
  serde: TopicSerde
  producer: EventProducer
  /** Encodes `value` with the registry and writes it to the prefixed catalog topic, with the saga headers. */
  publish: <T extends EventTopic>(topic: T, value: TopicValues[T], options?: { producer?: string, mode?: SagaMode, causationId?: string }) => Promise<Delivered>
}

const NOWHERE = 'http://127.0.0.1:9'

export function gatewayHarness (extra: Record<string, string | number> = {}): Harness {
  const h = {} as Harness
  before(async () => {
    h.env = testEnv()
    await createCatalogTopics(h.env)
    // Never the shared stack's Prometheus and Alertmanager (their alerts are about the default ports'
    // services, not this test's): a test that needs them sets its private ones.
    h.config = loadConfig(GatewayConfig, serviceEnv(h.env, { PORT: 0, HOST: '127.0.0.1', PUSH_INTERVAL_MS: 30, PROMETHEUS_URL: NOWHERE, ALERTMANAGER_URL: NOWHERE, ...extra }))
    h.app = await buildApp('gateway', app, h.config)
    await h.app.listen({ port: 0, host: '127.0.0.1' })
    h.url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`
    h.serde = new TopicSerde(h.env.registryUrl, h.env.prefix)
    h.producer = new EventProducer(h.env.brokers, 'gateway-test', pino({ level: 'silent' }))
    await h.producer.connect()
    h.publish = async (topic, value, options = {}) => {
      const orderId = (value as { orderId: string }).orderId
      return await h.producer.send({
        topic: h.env.prefix + topic,
        key: orderId,
        value: await h.serde.encode(topic, value),
        headers: {
          [HEADERS.eventType]: topic,
          [HEADERS.producer]: options.producer ?? 'test',
          [HEADERS.sagaMode]: options.mode ?? 'choreography',
          [HEADERS.correlationId]: orderId,
          ...(options.causationId ? { [HEADERS.causationId]: options.causationId } : {})
        }
      })
    }
  })
  after(async () => {
    await h.app?.close()
    await h.producer?.close()
    // Topics and their registry subjects.
    if (h.env) await deleteTestTopics(h.env)
  })
  return h
}

export function orderCreated (orderId: string = randomUUID(), customerId = 'c-1'): TopicValues['orders.new'] {
  return { eventId: randomUUID(), orderId, customerId, items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 990 }], totalCents: 990, currency: 'BRL', deadlineAt: Date.now() + 30_000, channel: 'web', occurredAt: Date.now() }
}

export function orderConfirmed (orderId: string): TopicValues['orders.confirmed'] {
  return { eventId: randomUUID(), orderId, customerId: 'c-1', totalCents: 990, occurredAt: Date.now() }
}

type AfterHook = { after: (fn: () => Promise<void>) => void }
type GatewayRoutes = FastifyPluginAsync<{ config: GatewayConfigType }>

const controlConfig = (url: string, extra: Partial<GatewayConfigType>): GatewayConfigType => ({ CONTROL_URL: url, CONTROL_TIMEOUT_MS: 2000, ...extra }) as GatewayConfigType

/** What a routes-only test hands the routes in place of the gateway's clients (its Kafka reader, serde...), closed by the test. */
type Given = Record<string, unknown>

/**
 * The gateway's `routes` that relay to the control plane (admin, chaos, ...), on the kit's error
 * handler, in front of the real control plane's API over a test shop of its own (its own topic
 * prefix, group suffix and schema suffix; `services` started, none by default), so nothing the
 * routes ask reaches the shared stack's shop. The routes' config is the gateway's on that shop
 * (its brokers, prefix, database); `given(shop)` decorates the app with the clients they use.
 * All of it is closed after the test.
 */
export async function routesOverControl (t: AfterHook, routes: GatewayRoutes, o: { services?: string[], config?: Partial<GatewayConfigType>, given?: (shop: ExerciseShop) => Given } = {}): Promise<{ app: FastifyInstance, shop: ExerciseShop }> {
  const shop = await startExerciseShop({ services: o.services ?? [] })
  t.after(async () => { await shop.close() })
  const control = await startControlApi(shop.plane)
  t.after(async () => { await control.close() })
  const config = loadConfig(GatewayConfig, serviceEnv(shop.env, { CONTROL_URL: control.url, CONTROL_TIMEOUT_MS: 2000, PROMETHEUS_URL: NOWHERE, ALERTMANAGER_URL: NOWHERE }))
  const app = await buildRoutes(routes, { config: { ...config, ...o.config } }, [], o.given?.(shop) ?? {})
  t.after(async () => { await app.close() })
  return { app, shop }
}

/** The same routes with no control plane behind them (CONTROL_URL where nothing listens): what they answer when make demo's control plane is not there. */
export async function routesWithoutControl (t: AfterHook, routes: GatewayRoutes): Promise<{ app: FastifyInstance, url: string }> {
  const app = await buildRoutes(routes, { config: controlConfig(NOWHERE, {}) }, [])
  t.after(async () => { await app.close() })
  return { app, url: NOWHERE }
}
