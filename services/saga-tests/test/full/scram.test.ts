import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { topicsWrittenBy } from '@vitrine/contracts'
import { bootstrapServers, createRegistryProxy, up } from '@vitrine/infra'
import type { RegistryDecision } from '@vitrine/infra'
import { cleanup, freeBrokerBase, isolatedSettings, sharedSettings } from '@vitrine/infra/testing'
import { Saga, WITH_ORCHESTRATOR, orchestrated, orderBody, settle } from '../../src/index.ts'

// The whole saga on a KAFKA_AUTH=scram cluster (a private broker: SASL/SCRAM-SHA-512, StandardAuthorizer,
// no default allow, the catalog's ACLs): every service logs in as its own principal (payment as a real
// process, with only its own password in its environment), the test's prefixed topics get the catalog's
// ACLs, and both modes still confirm every order with the invariants held. The registry is the shared
// Apicurio behind a private proxy in KAFKA_AUTH=scram mode with this broker's passwords: each service
// registers its topics' schemas with its own login. The database is the shared one.
test('KAFKA_AUTH=scram: choreography and orchestration confirm every order, each service as its own principal', { timeout: 400_000 }, async t => {
  const backendPort = sharedSettings().registryBackendPort
  const s = isolatedSettings(t, await freeBrokerBase(), { kafkaAuth: 'scram' })
  await up(s, { only: ['kafka-1'], catalog: true })
  const decisions: RegistryDecision[] = []
  const proxy = createRegistryProxy(backendPort, { kafkaAuth: 'scram', stateDir: s.stateDir, onDecision: d => { decisions.push(d) } })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  cleanup(t, async () => {
    proxy.closeAllConnections()
    await new Promise(resolve => proxy.close(resolve))
  })
  const registryUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  // testEnv() and the services' logins read the stack from here (infra/src/testing/saga-env.ts).
  const vars = ['KAFKA_BROKERS', 'KAFKA_AUTH', 'VITRINE_STATE_DIR', 'KAFKA_SECURITY_PROTOCOL', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const
  const saved = vars.map(k => [k, process.env[k]] as const)
  for (const k of vars) Reflect.deleteProperty(process.env, k)
  Object.assign(process.env, { KAFKA_BROKERS: bootstrapServers(s), KAFKA_AUTH: 'scram', VITRINE_STATE_DIR: s.stateDir })
  cleanup(t, () => {
    for (const k of vars) Reflect.deleteProperty(process.env, k)
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v
  })

  for (const mode of ['choreography', 'orchestration'] as const) {
    const saga = await Saga.start({ services: WITH_ORCHESTRATOR, processes: ['payment'], stack: { registryUrl } })
    try {
      const p = await saga.product(1000)
      const bodies = Array.from({ length: 30 }, (_, i) => (mode === 'orchestration' ? orchestrated : orderBody)(`scram-${i}`, [{ productId: p, quantity: 1 }]))
      const ids = await saga.placeOrders(bodies)
      const statuses = await saga.waitTerminal(ids, 90_000)
      assert.deepEqual([...statuses.values()].filter(x => x.status !== 'confirmed'), [], `${mode}: every order confirmed`)
      assert.deepEqual(await settle(saga, ids), [], `${mode}: invariants`)
      // The services really logged in as themselves: the admin password is not in a service's environment.
      assert.equal(saga.envFor('payment').KAFKA_SASL_USERNAME, 'payment')
      assert.equal(saga.envFor('checkout-api').KAFKA_SASL_USERNAME, 'checkout-api')
      assert.notEqual(saga.envFor('payment').KAFKA_SASL_PASSWORD, process.env.KAFKA_SASL_PASSWORD)
      // Each service registered its own topics' schemas as itself, and the registry refused nothing.
      const mine = decisions.filter(d => d.subject?.startsWith(saga.env.prefix))
      assert.deepEqual(decisions.filter(d => d.status !== 'allowed'), [], `${mode}: a registry call was refused`)
      for (const service of WITH_ORCHESTRATOR) {
        for (const spec of topicsWrittenBy(service).filter(x => x.schema !== null)) {
          const subject = `${saga.env.prefix}${spec.name}-value`
          assert.ok(mine.some(d => d.principal === service && d.method === 'POST' && d.subject === subject), `${mode}: ${service} registered ${subject} with its login (got ${JSON.stringify(mine.filter(d => d.subject === subject))})`)
        }
      }
    } finally {
      await saga.close()
    }
  }
})
