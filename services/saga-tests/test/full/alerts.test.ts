import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { findTopic } from '@vitrine/contracts'
import { brokerPorts, bootstrapServers, createAdmin, effectiveSpec, readPid, sleep, stopGroup, up } from '@vitrine/infra'
import { cleanup, freeBrokerBase, isolatedSettings, observabilityAvailable, openProducer, produceAll, startObservability, uniqueName } from '@vitrine/infra/testing'
import { waitFor } from '@vitrine/infra/testing/saga'
import { Saga, WITH_ORCHESTRATOR, orderBody, startGateway } from '../../src/index.ts'
import type { ServiceId } from '../../src/index.ts'

// Every alert of infra/prometheus/rules fires at least once against real processes, and reaches
// Alertmanager's webhook. A private Prometheus and Alertmanager (our rules, every `for:` at 5 s in a
// copy; the expressions and thresholds are the real ones) scrape the saga's services, the gateway and
// a private 3-broker cluster, while each condition is driven for real:
// - DeadLettersArriving, ConsumerErrorRateHigh: records no schema can read, on orders.new, in two waves
//   (a counter's first sample is no increase; the second wave is);
// - SagaSuccessRateLow, SagaSlowOutcome: orchestrated orders whose payment answers after SLOW_MS:
//   started and not finished while they wait, then a mean time to outcome above 10 s;
// - OutboxBacklogOld: notification's topic is deleted (the broker creates none by itself), so its
//   outbox cannot publish and the oldest row grows past 30 s;
// - ServiceDown, HighConsumerLag, HttpErrorRateHigh: the orchestrator stopped while orders keep
//   coming: its target is down, its group falls behind, and the gateway answers 502 for its sagas;
// - BrokerDown, UnderReplicatedPartitions: broker 3 of the private cluster stopped under a topic
//   with replication factor 3 (the shared broker is never touched).

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const ALERT_NAMES = [...readFileSync(`${ROOT}infra/prometheus/rules/alerts.yml`, 'utf8').matchAll(/^\s+- alert: (\w+)\s*$/gm)].map(m => m[1]!)
const SLOW_MS = 20_000

interface Notification { status: string, alerts: Array<{ status: string, labels: Record<string, string> }> }

test('every alert rule fires at least once from a real scenario and reaches the Alertmanager webhook', { timeout: 600_000 }, async t => {
  if (!observabilityAvailable(t)) return
  assert.ok(ALERT_NAMES.length >= 10, `alerts read from alerts.yml: ${ALERT_NAMES.join(', ')}`)
  const services: ServiceId[] = [...WITH_ORCHESTRATOR]
  // The saga and the private cluster start together (each takes tens of seconds).
  const starting = Saga.start({
    services,
    processes: services,
    env: {
      payment: { PAYMENT_SLOW_MS: SLOW_MS },
      // The orchestrator waits for the slow charge instead of compensating it at 10 s.
      orchestrator: { PAYMENT_STEP_TIMEOUT_MS: 120_000 },
      // A send to a missing topic fails in 5 s (not 5 min), so each relay pass shows the backlog's age.
      notification: { PRODUCER_MESSAGE_TIMEOUT_MS: 5000 }
    }
  })
  // Settled below with the cluster's start; until then a rejection must not count as unhandled.
  starting.catch(() => {})
  const kafka = isolatedSettings(t, await freeBrokerBase(3), { brokers: 3, kafkaHeapMb: 384 })
  const [sagaStart, clusterStart] = await Promise.allSettled([starting, up(kafka, { only: ['kafka-1', 'kafka-2', 'kafka-3'], catalog: false })])
  if (sagaStart.status === 'fulfilled') cleanup(t, async () => { await sagaStart.value.close() })
  if (sagaStart.status === 'rejected') throw sagaStart.reason
  if (clusterStart.status === 'rejected') throw clusterStart.reason
  const saga = sagaStart.value

  const gateway = await startGateway(t, saga, { ORCHESTRATOR_URL: saga.url('orchestrator'), CHECKOUT_API_URL: saga.url('checkout-api'), INVENTORY_URL: saga.url('inventory'), GROUP_LAG_INTERVAL_MS: 500 })

  // Alertmanager's receiver: every notification it sends, kept in order.
  const notifications: Notification[] = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => { body += String(chunk) })
    req.on('end', () => {
      if (req.method === 'POST') notifications.push(JSON.parse(body) as Notification)
      res.writeHead(200).end()
    })
  })
  await new Promise<void>(resolve => receiver.listen(0, '127.0.0.1', resolve))
  cleanup(t, async () => { await new Promise(resolve => receiver.close(resolve)) })
  const fired = (): Set<string> => new Set(notifications.flatMap(n => n.alerts.filter(a => a.status === 'firing').map(a => a.labels.alertname!)))
  /** Waits until each of `names` reached the webhook firing; otherwise fails naming the missing ones and what Prometheus shows. */
  const reached = async (names: string[], timeoutMs: number): Promise<void> => {
    await waitFor(`${names.join(', ')} at the webhook`, async () => names.every(name => fired().has(name)), timeoutMs, 1000)
      .catch(async err => {
        const missing = names.filter(name => !fired().has(name))
        const states = (await obs.alerts().catch(() => [])).map(a => `${a.labels.alertname}:${a.state}`)
        throw new Error(`${(err as Error).message}: never fired ${missing.join(', ')}; Prometheus shows ${states.join(' ') || 'nothing'}`)
      })
  }

  const obs = await startObservability(t, {
    targets: {
      services: Object.fromEntries([...services.map(id => [id, Number(new URL(saga.url(id)).port)]), ['gateway', gateway.port]]),
      jmx: [0, 1, 2].map(i => brokerPorts(kafka, i).jmx),
      webhookUrl: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/alerts/webhook`
    },
    alertFor: '5s',
    // Not 1 s: on a loaded 2-core machine a scrape may take longer than that and read as down.
    scrapeInterval: '2s'
  })

  // The private cluster: a topic on all three brokers, so one of them stopping leaves replicas out of sync.
  const clusterAdmin = createAdmin(bootstrapServers(kafka), uniqueName('test-admin'))
  cleanup(t, async () => { await clusterAdmin.close().catch(() => {}) })
  await clusterAdmin.createTopics({ topics: [uniqueName('test-replicated')], partitions: 3, replicas: 3 })

  // notification's outbox topic goes away: the notifications it records cannot be announced.
  const admin = createAdmin(saga.env.brokers, uniqueName('test-admin'))
  cleanup(t, async () => { await admin.close().catch(() => {}) })
  const sent = `${saga.env.prefix}notifications.sent`
  await admin.deleteTopics({ topics: [sent] })

  // Wave 1: orders in both modes (the orchestrated ones give its duration series a first sample),
  // enough on orders.new that every partition has a committed offset in each group; poison records.
  const product = await saga.product(1000)
  const order = (customer: string, mode: 'choreography' | 'orchestration'): Record<string, unknown> => orderBody(customer, [{ productId: product, quantity: 1 }], { mode })
  const producer = await openProducer(t, saga.env.brokers)
  const poison = async (wave: number): Promise<void> => {
    await produceAll(producer, `${saga.env.prefix}orders.new`, Array.from({ length: 3 }, (_, i) => ({ key: `poison-${wave}-${i}`, value: 'not avro at all' })))
  }
  const first = await saga.placeOrders([
    ...Array.from({ length: 12 }, (_, i) => order(`ana-${i}-pay-ok`, 'choreography')),
    ...Array.from({ length: 2 }, (_, i) => order(`bruno-${i}-pay-ok`, 'orchestration'))
  ], 5)
  await saga.waitTerminal(first, 90_000)
  await poison(1)
  await waitFor('the first wave scraped', async () =>
    (await obs.query('vitrine_dead_letters_total')).length > 0 &&
    (await obs.query('vitrine_saga_duration_seconds_count{mode="orchestration"}')).length > 0 &&
    (await obs.query('vitrine_sagas_started_total{mode="orchestration"}')).length > 0, 60_000, 1000)
  await sleep(3000)

  // Wave 2: more poison; slow orchestrated orders; broker 3 of the private cluster stops.
  await poison(2)
  const slow = await saga.placeOrders(Array.from({ length: 4 }, (_, i) => order(`carla-${i}-slow-payment`, 'orchestration')), 4)
  await stopGroup(readPid(kafka.stateDir, 'kafka-3')!, 30_000)
  await saga.waitTerminal(slow, SLOW_MS + 60_000)
  // Before the orchestrator stops: its saga series go with it.
  await reached(['SagaSuccessRateLow', 'SagaSlowOutcome'], 60_000)

  // The orchestrator stops while choreographed orders keep coming; the browser asks the gateway for sagas.
  await saga.stopService('orchestrator')
  await saga.waitTerminal(await saga.placeOrders(Array.from({ length: 40 }, (_, i) => order(`diego-${i}-pay-ok`, 'choreography')), 5), 90_000)
  const asking = new AbortController()
  const asked = (async () => {
    while (!asking.signal.aborted) {
      await fetch(`${gateway.url}/api/shop/sagas/pedido-qualquer`, { signal: asking.signal }).then(async r => await r.arrayBuffer(), () => undefined)
      await sleep(200)
    }
  })()
  cleanup(t, async () => { asking.abort(); await asked })

  await reached(ALERT_NAMES, 180_000)
  asking.abort()
  await asked

  // Fired by what the scenario did, not by something else.
  const labelled = (name: string): Array<Record<string, string>> => notifications.flatMap(n => n.alerts.filter(a => a.status === 'firing' && a.labels.alertname === name).map(a => a.labels))
  assert.ok(labelled('ServiceDown').some(l => l.service === 'orchestrator'), JSON.stringify(labelled('ServiceDown')))
  assert.ok(labelled('HighConsumerLag').some(l => l.group?.startsWith('orchestrator') === true), JSON.stringify(labelled('HighConsumerLag')))
  assert.ok(labelled('HttpErrorRateHigh').some(l => l.service === 'gateway'), JSON.stringify(labelled('HttpErrorRateHigh')))
  assert.ok(labelled('OutboxBacklogOld').some(l => l.service === 'notification'), JSON.stringify(labelled('OutboxBacklogOld')))
  assert.ok(labelled('SagaSlowOutcome').some(l => l.mode === 'orchestration'), JSON.stringify(labelled('SagaSlowOutcome')))
  assert.ok(labelled('SagaSuccessRateLow').some(l => l.mode === 'orchestration'), JSON.stringify(labelled('SagaSuccessRateLow')))
  assert.ok(labelled('BrokerDown').some(l => l.broker === '3'), JSON.stringify(labelled('BrokerDown')))
  assert.ok(labelled('DeadLettersArriving').some(l => l.topic?.endsWith('orders.new') === true), JSON.stringify(labelled('DeadLettersArriving')))

  // notification's topic back: the outbox publishes what waited.
  const spec = effectiveSpec(findTopic('notifications.sent')!, 1)
  await admin.createTopics({ topics: [sent], partitions: spec.partitions, replicas: spec.replicationFactor, configs: Object.entries(spec.config).map(([name, value]) => ({ name, value })) })
  await waitFor('notification\'s backlog published', async () => (await obs.query('vitrine_outbox_pending_records{service="notification"} == 0')).length === 1, 60_000, 1000)
})
