import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import postgres from 'postgres'
import { HEADERS } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, readAllNow, testEnv } from '@vitrine/infra/testing/saga'
import { EventProducer } from '../../../src/index.ts'

// `make dlq-replay` is what an operator runs, maybe twice, maybe while unsure whether the first run
// went through: each DLQ record goes back once, FORCE=1 sends it again, DRY_RUN=1 only shows.
const env = testEnv()
const CLI = fileURLToPath(new URL('../../../src/ops/dlq-cli.ts', import.meta.url))
let producer: EventProducer

async function replay (extra: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'replay'], {
    env: { ...process.env, KAFKA_BROKERS: env.brokers, SCHEMA_REGISTRY_URL: env.registryUrl, DATABASE_URL: env.databaseUrl, TOPIC_PREFIX: env.prefix, ...extra },
    timeout: 60_000
  })
  return stdout
}

/** How many times each DLQ offset was sent back through the first retry topic. */
async function replayedCounts (): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const r of await readAllNow(env.brokers, env.prefix + 'orders.retry.5s')) {
    const from = r.headers[HEADERS.replayedFrom] ?? r.headers['dlq-replayed-from']
    if (from) out.set(from, (out.get(from) ?? 0) + 1)
  }
  return out
}

before(async () => {
  await createCatalogTopics(env)
  producer = new EventProducer(env.brokers, 'dlq-replay-test', pino({ level: 'silent' }))
  await producer.connect()
  for (let i = 0; i < 3; i++) {
    await producer.send({
      topic: env.prefix + 'orders.dlq',
      key: `pedido-${i}`,
      value: Buffer.from(`valor ${i}`),
      headers: { [HEADERS.originalTopic]: env.prefix + 'orders.new', [HEADERS.originalPartition]: '0', [HEADERS.originalOffset]: String(i), [HEADERS.error]: 'Error: boom', [HEADERS.attempts]: '4', [HEADERS.failedBy]: `payment/payment${env.groupSuffix}` }
    })
  }
})

after(async () => {
  await producer?.close()
  const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} })
  await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${env.prefix + 'orders.dlq'}`.catch(() => {})
  await sql.end()
  await deleteTestTopics(env)
})

test('make dlq-replay twice sends each DLQ record back once; DRY_RUN=1 shows without sending; FORCE=1 sends again', { timeout: 180_000 }, async () => {
  const dry = await replay({ DRY_RUN: '1' })
  assert.match(dry, /pedido-0/, 'the dry run lists what it would send')
  assert.equal((await replayedCounts()).size, 0, 'a dry run sends nothing')

  await replay()
  await replay()
  const dlq = `${env.prefix}orders.dlq:0`
  assert.deepEqual(Object.fromEntries(await replayedCounts()), { [`${dlq}:0`]: 1, [`${dlq}:1`]: 1, [`${dlq}:2`]: 1 })

  await replay({ FORCE: '1', OFFSETS: '1' })
  assert.deepEqual(Object.fromEntries(await replayedCounts()), { [`${dlq}:0`]: 1, [`${dlq}:1`]: 2, [`${dlq}:2`]: 1 }, 'FORCE=1 sends the chosen record again')
})
