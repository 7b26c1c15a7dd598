import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sleep } from '@vitrine/infra'
import { cleanup, observabilityAvailable, openProducer, produceAll, startObservability } from '@vitrine/infra/testing'
import { waitFor } from '@vitrine/infra/testing/saga'
import { Saga, WITH_ORCHESTRATOR, orderBody, startGateway } from '../../src/index.ts'
import type { ServiceId } from '../../src/index.ts'

// The dashboards (infra/grafana/dashboards, the same panels the UI's Métricas page draws) against a
// private Prometheus scraping the real services while orders flow in both modes, a payment is
// declined, stock runs out and a poison record is dead-lettered: every panel returns a series, and
// the ones this traffic must move are away from zero. (The Kafka cluster panels need a broker with
// the JMX exporter: infra/test/full/prometheus.test.ts runs them against a private one.)

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const DASHBOARDS = `${ROOT}infra/grafana/dashboards`
interface Panel { title: string, targets: Array<{ expr: string }> }
const panels = readdirSync(DASHBOARDS).filter(f => f.endsWith('.json') && f !== 'kafka-cluster.json')
  .flatMap(f => (JSON.parse(readFileSync(`${DASHBOARDS}/${f}`, 'utf8')) as { panels: Panel[] }).panels.map(p => ({ file: f, ...p })))

// Panels this scenario must move away from zero (the others may rightly read 0: no 5xx, no backlog).
const MUST_MOVE = ['Serviços no ar', 'Requisições HTTP por segundo', 'Registros consumidos por segundo', 'Latência do handler (p95 e p99)',
  'Latência HTTP (p95 e p99)', 'Atraso do event loop (p99)', 'Consumo por tópico (registros/s)', 'Publicação pela outbox por tópico (registros/s)',
  'Pedidos por minuto', 'Sagas que chegam a um desfecho (meta: 95%)', 'Confirmadas entre as terminadas', 'Compensações por minuto',
  'Tempo médio até o desfecho (meta: até 10 s)', 'Tempo até o desfecho (p95)', 'Mensagens para a DLQ (últimos 5 min)', 'Atraso de publicação da outbox (p95)']

test('every dashboard panel returns a series from the real services while orders flow; the ones traffic moves are away from zero', { timeout: 420_000 }, async t => {
  if (!observabilityAvailable(t)) return
  const services: ServiceId[] = [...WITH_ORCHESTRATOR]
  const saga = await Saga.start({ services, processes: services })
  cleanup(t, async () => { await saga.close() })
  // The gateway too: it reports every group's lag (committed vs end offsets).
  const gateway = await startGateway(t, saga)

  const targets = Object.fromEntries([...services.map(id => [id, Number(new URL(saga.url(id)).port)]), ['gateway', gateway.port]])
  const obs = await startObservability(t, { targets: { services: targets } })

  // Orders in both modes: confirmed, payment declined, out of stock; and a record
  // no schema can read, which the consumer dead-letters. Twice, a few scrapes apart: a counter or
  // histogram series appears with its first value, so a rate only moves with what comes after.
  const product = await saga.product(60)
  const producer = await openProducer(t, saga.env.brokers)
  const wave = async (n: number): Promise<void> => {
    const scarce = await saga.product(1)
    const bodies = [
      ...Array.from({ length: 6 }, (_, i) => orderBody(`ana-${n}-${i}-pay-ok`, [{ productId: product, quantity: 1 }], { mode: i % 2 === 0 ? 'choreography' : 'orchestration' })),
      ...Array.from({ length: 2 }, (_, i) => orderBody(`carla-${n}-${i}-fail-payment`, [{ productId: product, quantity: 1 }], { mode: i % 2 === 0 ? 'choreography' : 'orchestration' })),
      // Out of stock in both modes: orchestrated, the charge is refunded (a compensation the orchestrator counts).
      orderBody(`diego-${n}-pay-ok`, [{ productId: scarce, quantity: 5 }]),
      orderBody(`elisa-${n}-pay-ok`, [{ productId: scarce, quantity: 5 }], { mode: 'orchestration' })
    ]
    await saga.waitTerminal(await saga.placeOrders(bodies, 5), 90_000)
    await produceAll(producer, `${saga.env.prefix}orders.new`, [{ key: `poison-${n}`, value: 'not avro at all' }])
  }
  await wave(1)
  await waitFor('the first wave scraped', async () => (await obs.query('sum by (mode) (vitrine_sagas_finished_total)')).length === 2 && (await obs.query('vitrine_dead_letters_total')).length > 0, 60_000, 1000)
  await sleep(3000)
  await wave(2)

  let last: Array<{ labels: Record<string, string>, health: string, lastError: string }> = []
  await waitFor('every target up', async () => {
    last = (await obs.targets()).filter(x => x.labels.job === 'services')
    return last.length === services.length + 1 && last.every(x => x.health === 'up')
  }, 30_000, 500).catch(() => {})
  assert.deepEqual(last.filter(x => x.health !== 'up').map(x => `${x.labels.service}: ${x.health} ${x.lastError}`), [], 'targets not up')
  assert.equal(last.length, services.length + 1)

  // A 5-minute rate needs a few scrapes after the orders; the recording rules one evaluation more.
  await waitFor('the saga and DLQ panels to fill', async () => (await obs.query('mode:vitrine_saga_duration_seconds:mean5m > 0')).length === 2 && (await obs.query('sum(increase(vitrine_dead_letters_total[5m])) > 0')).length === 1, 60_000, 1000)
    .catch(async err => { throw new Error(`${(err as Error).message}: ${JSON.stringify(await obs.query('sum by (__name__, mode, outcome) ({__name__=~"vitrine_sagas_finished_total|vitrine_saga_duration_seconds_count|vitrine_dead_letters_total"})'))}`) })
  const empty: string[] = []
  const flat: string[] = []
  for (const p of panels) {
    const results = await Promise.all(p.targets.map(async q => await obs.query(q.expr)))
    if (results.some(r => r.length === 0)) empty.push(`${p.file}: ${p.title}`)
    const moved = results.flat().some(s => Number(s.value[1]) > 0)
    if (MUST_MOVE.includes(p.title) && !moved) flat.push(`${p.file}: ${p.title}`)
  }
  if (empty.length > 0) {
    const seen = await obs.query('sum by (__name__, mode, outcome, kind) ({__name__=~"vitrine_(sagas_finished|compensations|retries|dead_letters)_total"})')
    assert.fail(`panels with no series: ${empty.join('; ')}; counters seen: ${JSON.stringify(seen.map(x => [x.metric, x.value[1]]))}`)
  }
  assert.deepEqual(flat, [], 'panels still at zero')
  for (const title of MUST_MOVE) assert.ok(panels.some(p => p.title === title), `no panel titled ${title}`)
})
