import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { DLQ_TOPIC, topic } from '@vitrine/contracts'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import { createAdmin, effectiveSpec } from '@vitrine/infra'
import { assertJwtMatrix, deleteTestTopics, jwtTestConfig, serviceEnv, testEnv } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import app from '../../src/app.ts'
import { SalesCounterConfig } from '../../src/config.ts'

// HTTP_AUTH=jwt on the sales-counter (issue 16): the JWT matrix on every route it registered (the
// mode, the crash point and the zombie drill are the instructor's), on its own topics. In test-full:
// its group's static member holds the after() hook 6.5 s.
const auth = jwtTestConfig()
let env: TestEnv
let counter: FastifyInstance

before(async () => {
  env = testEnv()
  const admin = createAdmin(env.brokers, 'sales-counter-auth-test')
  try {
    const brokers = (await admin.metadata({ topics: [] })).brokers.size
    for (const name of ['orders.confirmed', 'sales.totals', DLQ_TOPIC] as const) {
      const want = effectiveSpec(topic(name), brokers)
      await admin.createTopics({ topics: [env.prefix + name], partitions: want.partitions, replicas: want.replicationFactor, configs: Object.entries(want.config).map(([n, value]) => ({ name: n, value })) })
    }
  } finally {
    await admin.close()
  }
  counter = await buildApp('sales-counter', app, loadConfig(SalesCounterConfig, serviceEnv(env, { PORT: 0, ...auth })))
})

after(async () => {
  await counter?.close()
  // Its static member stays in the group until the session expires (6 s, counter.ts): the group goes after that.
  await new Promise(resolve => setTimeout(resolve, 6500))
  if (env) await deleteTestTopics(env)
})

test('the JWT matrix holds on every sales-counter route; its drills are the instructor\'s', async () => {
  const { rows } = await assertJwtMatrix(counter, auth)
  for (const key of ['PUT /counter/mode', 'POST /counter/crash-point', 'POST /counter/zombie']) {
    assert.equal(rows.find(r => `${r.method} ${r.url}` === key)?.access, 'instructor', key)
  }
})
