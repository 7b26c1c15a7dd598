import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { ErrorBody, FaultChange, FaultState, ShopError } from '@vitrine/service-kit'
import type { FaultChangeType, FaultStateType } from '@vitrine/service-kit'
import { apps } from '../apps.ts'
import type { AppComponent } from '../apps.ts'
import type { StackSettings } from '../settings.ts'
import { toolAuthHeaders } from '../security/http-auth.ts'
import { LINK_SERVICES, linksClient, linksControlPort } from '../links.ts'
import type { LinkState } from '../links.ts'
import { ComponentNotFound } from './plane.ts'
import type { ControlPlane } from './plane.ts'

// The fault toggles of every service through the control plane (the "Caos" page and the drills use
// these): each service's own toggles (kit's GET/PUT/DELETE /faults, forwarded), and its broker link
// (latency, partition: links.ts), which lives outside the service, in the supervisor's links process.

const ServiceParam = Type.Object({ service: Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*$' }) })

export const LinkFault = Type.Object({
  latencyMs: Type.Integer({ minimum: 0, maximum: 30_000, description: 'atraso em cada sentido entre o serviço e os brokers' }),
  partitioned: Type.Boolean({ description: 'partição total: as conexões do serviço com os brokers caem e novas são recusadas' })
}, { additionalProperties: false })
export const LinkChange = Type.Partial(LinkFault, { additionalProperties: false, minProperties: 1 })
export type LinkChangeType = Static<typeof LinkChange>

const LinkStatus = Type.Object({
  /** False when this stack's brokers have no link listener for the service (started before the links, or outside Vitrine). */
  available: Type.Boolean(),
  latencyMs: Type.Integer(),
  partitioned: Type.Boolean(),
  connections: Type.Integer(),
  since: Type.Union([Type.String(), Type.Null()])
})

export const ServiceFaults = Type.Object({
  service: Type.String(),
  /** The service answered: its toggles are `toggles`; otherwise `error` says why not. */
  running: Type.Boolean(),
  toggles: Type.Union([FaultState, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  link: LinkStatus
})
export type ServiceFaultsType = Static<typeof ServiceFaults>
export const FaultsList = Type.Object({ services: Type.Array(ServiceFaults) })

/** The services with fault toggles: every kit service among this plane's apps (the gateway is not one). */
function faultApps (plane: ControlPlane): AppComponent[] {
  return apps(plane.settings.apps).filter(c => !['web', 'control', 'gateway'].includes(c.name))
}

class ServiceUnreachable extends ShopError {
  constructor (service: string, why: string) {
    super('SHOP_ERR_UPSTREAM_UNAVAILABLE', `${service} does not answer (${why}): start it (make start S=${service}) and try again`, 502, { service })
  }
}

/** The service's own answer: its 400 comes back as is (the field it names is the body's). */
async function callService (c: AppComponent, method: string, body?: unknown, stateDir?: string): Promise<FaultStateType> {
  let res: Response
  try {
    // With HTTP_AUTH=jwt the toggles are the instructor's: the control plane calls with its own token.
    const auth = stateDir !== undefined ? toolAuthHeaders(stateDir, 'control') : {}
    res = await fetch(`${c.url}/faults`, { method, signal: AbortSignal.timeout(5000), headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  } catch (err) {
    throw new ServiceUnreachable(c.name, (err as Error).message)
  }
  const answer = await res.json().catch(() => ({})) as FaultStateType & { code?: `SHOP_ERR_${string}`, message?: string, errors?: unknown[] }
  if (res.status === 400 && answer.code) throw new ShopError(answer.code, answer.message ?? 'invalid', 400, { errors: answer.errors })
  if (!res.ok) throw new ShopError('SHOP_ERR_UPSTREAM', `${c.name} answered ${res.status} to ${method} /faults${answer.message ? `: ${answer.message}` : ''}`, 502, { service: c.name })
  return answer
}

export interface FaultRoutesOptions {
  plane: ControlPlane
  /** The stack whose links to use (default: the plane's). */
  stack?: StackSettings
}

const faultRoutes: FastifyPluginAsyncTypebox<FaultRoutesOptions> = async (fastify, { plane, stack }) => {
  const s = stack ?? plane.settings.stack
  const links = linksClient(linksControlPort(s))

  function find (name: string): AppComponent {
    const c = faultApps(plane).find(a => a.name === name)
    if (!c) throw new ComponentNotFound(name, faultApps(plane).map(a => a.name))
    return c
  }

  async function linkOf (service: string, known?: LinkState[]): Promise<Static<typeof LinkStatus>> {
    const all = known ?? (await links.up() ? await links.list() : [])
    const st = all.find(l => l.service === service)
    return st ? { available: true, latencyMs: st.latencyMs, partitioned: st.partitioned, connections: st.connections, since: st.since } : { available: false, latencyMs: 0, partitioned: false, connections: 0, since: null }
  }

  async function read (c: AppComponent, known?: LinkState[]): Promise<ServiceFaultsType> {
    const link = await linkOf(c.name, known)
    try {
      return { service: c.name, running: true, toggles: await callService(c, 'GET', undefined, s.stateDir), error: null, link }
    } catch (err) {
      return { service: c.name, running: false, toggles: null, error: (err as Error).message, link }
    }
  }

  const linkList = async (): Promise<LinkState[]> => (await links.up() ? await links.list() : [])

  fastify.get('/faults', {
    schema: { summary: 'As falhas ligadas em cada serviço e em cada ligação serviço–Kafka', response: { 200: FaultsList, 500: ErrorBody } }
  }, async () => {
    const known = await linkList()
    return { services: await Promise.all(faultApps(plane).map(async c => await read(c, known))) }
  })

  // One click ends every fault: each running service's toggles and every link.
  fastify.delete('/faults', {
    schema: { summary: 'Desliga todas as falhas de todos os serviços e ligações', response: { 200: FaultsList, 500: ErrorBody } }
  }, async () => {
    if (await links.up()) for (const service of LINK_SERVICES) await links.clear(service)
    const known = await linkList()
    return {
      services: await Promise.all(faultApps(plane).map(async c => {
        await callService(c, 'DELETE', undefined, s.stateDir).catch(() => undefined)
        return await read(c, known)
      }))
    }
  })

  fastify.get('/faults/:service', {
    schema: { params: ServiceParam, response: { 200: ServiceFaults, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } }
  }, async (request) => await read(find(request.params.service)))

  fastify.put('/faults/:service', {
    schema: {
      summary: 'Liga ou muda as falhas de um serviço (só os campos enviados mudam), sem reiniciá-lo',
      params: ServiceParam,
      body: FaultChange,
      response: { 200: ServiceFaults, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody, 502: ErrorBody }
    }
  }, async (request) => {
    const c = find(request.params.service)
    const toggles = await callService(c, 'PUT', request.body as FaultChangeType, s.stateDir)
    return { service: c.name, running: true, toggles, error: null, link: await linkOf(c.name) }
  })

  fastify.delete('/faults/:service', {
    schema: { summary: 'Desliga as falhas do serviço e da sua ligação com o Kafka', params: ServiceParam, response: { 200: ServiceFaults, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } }
  }, async (request) => {
    const c = find(request.params.service)
    if (await links.up()) await links.clear(c.name)
    await callService(c, 'DELETE', undefined, s.stateDir).catch(() => undefined)
    return await read(c)
  })

  fastify.put('/faults/:service/link', {
    schema: {
      summary: 'Latência ou partição entre um serviço e o Kafka',
      params: ServiceParam,
      body: LinkChange,
      response: { 200: ServiceFaults, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody }
    }
  }, async (request) => {
    const c = find(request.params.service)
    const st = await links.up() ? await links.set(c.name, request.body) : undefined
    if (!st) {
      throw new ShopError('SHOP_ERR_LINK_UNAVAILABLE', `${c.name} does not reach Kafka through a link of its own: the links start with the services on a stack whose brokers were started with them (make down && make demo)`, 409, { service: c.name })
    }
    return await read(c)
  })

  fastify.delete('/faults/:service/link', {
    schema: { summary: 'Cura a ligação do serviço com o Kafka', params: ServiceParam, response: { 200: ServiceFaults, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } }
  }, async (request) => {
    const c = find(request.params.service)
    if (await links.up()) await links.clear(c.name)
    return await read(c)
  })
}

export default faultRoutes
