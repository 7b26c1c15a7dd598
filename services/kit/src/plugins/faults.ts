import fp from 'fastify-plugin'
import { Faults, FaultChange, FaultState, bootFaults } from '../faults.ts'
import type { FaultChangeType } from '../faults.ts'
import { ErrorBody } from '../schemas.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** This service's fault toggles (../faults.ts): read by the consumers and the transactions. */
    faults: Faults
  }
}

/**
 * The toggles and their routes. Registered before the database and the consumers, which read them
 * (each at use time, so a PUT applies to the next record or transaction, no restart).
 */
export default fp<{ service: string }>(async (fastify, opts) => {
  const faults = new Faults(opts.service, bootFaults(fastify.config))
  fastify.decorate('faults', faults)
  if (faults.state().active.length > 0) fastify.log.warn({ faults: faults.state().active }, 'fault toggles on at boot')

  fastify.get('/faults', {
    schema: { summary: 'As falhas ligadas neste serviço', response: { 200: FaultState, 500: ErrorBody } }
  }, async () => faults.state())

  fastify.put('/faults', {
    schema: {
      summary: 'Liga ou muda falhas (só os campos enviados mudam), sem reiniciar',
      body: FaultChange,
      response: { 200: FaultState, 400: ErrorBody, 500: ErrorBody }
    }
  }, async (request) => {
    const state = faults.set(request.body as FaultChangeType)
    request.log.warn({ faults: state.active }, 'fault toggles changed')
    return state
  })

  fastify.delete('/faults', {
    schema: { summary: 'Desliga todas as falhas (também as de boot: HANDLER_DELAY_MS, HANDLER_FAIL_TOPICS)', response: { 200: FaultState, 500: ErrorBody } }
  }, async (request) => {
    const state = faults.clear()
    request.log.warn('fault toggles cleared')
    return state
  })
}, { name: 'vitrine-faults', dependencies: ['vitrine-config'] })
