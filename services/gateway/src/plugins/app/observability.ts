import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import { TOPICS } from '@vitrine/contracts'
import { AlertBoard } from '../../lib/alert-board.ts'
import type { Alert } from '../../lib/alert-board.ts'
import { alertmanagerAlerts } from '../../lib/prometheus.ts'
import type { GatewayConfigType } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    alerts: { board: AlertBoard, received: (alerts: Alert[]) => void }
  }
}

/**
 * What the gateway adds to observability: the alerts Alertmanager sends it (kept on a board and
 * pushed to browsers as `alerts` over socket.io), and the lag of every consumer group of the
 * catalog's topics, committed offset against the partition's end, read at each scrape.
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const { registry } = fastify.metrics
  const board = new AlertBoard()
  const io = fastify.io
  const receivedTotal = new Counter({ name: 'vitrine_alerts_received_total', help: 'Alert notifications Alertmanager delivered to the webhook, by alert and status', labelNames: ['alertname', 'status'] as const, registers: [registry] })

  const push = (changed: Alert[]): void => {
    io.emit('alerts', { alerts: board.list(), changed })
  }
  fastify.decorate('alerts', {
    board,
    received: (changed: Alert[]) => {
      for (const a of changed) receivedTotal.inc({ alertname: a.name, status: a.status })
      if (changed.length > 0) push(changed)
    }
  })
  io.on('connection', socket => { socket.emit('alerts', { alerts: board.list(), changed: [] }) })

  // A restarted gateway learns what still fires from Alertmanager, not only from its next repeat.
  fastify.addHook('onReady', async () => {
    alertmanagerAlerts(config.ALERTMANAGER_URL, 3000)
      .then(active => { fastify.alerts.received(board.apply(active)) })
      .catch(err => fastify.log.info({ err: (err as Error).message }, 'alertmanager not reachable at start; alerts come with its next notification'))
  })

  // Read in the background and served from the last reading: asking the coordinator about every
  // group takes longer than a scrape may (its timeout is the scrape interval in tests).
  const catalog = new Set(TOPICS.map(t => config.TOPIC_PREFIX + t.name))
  const consoleClient = fastify.kafkaConsole
  type Row = { group: string, topic: string, partition: number, lag: number }
  let lastRows: Row[] = []
  const readLags = async (): Promise<Row[]> => {
    const out: Row[] = []
    // This deployment's groups only (a test's carry its suffix; the demo's suffix is empty: every group).
    const groups = (await consoleClient.listGroups())
      .filter(g => g.state !== 'DEAD' && g.protocolType !== 'connect' && g.id.endsWith(config.KAFKA_GROUP_SUFFIX))
      .slice(0, config.GROUP_LAG_MAX_GROUPS)
    // One group at a time: a reading must not flood the broker's coordinator.
    for (const g of groups) {
      const lags = await consoleClient.committedLag(g.id).catch(() => [])
      for (const p of lags) {
        if (!catalog.has(p.topic)) continue
        out.push({ group: g.id, topic: p.topic.slice(config.TOPIC_PREFIX.length), partition: p.partition, lag: p.lag })
      }
    }
    return out
  }
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let reading: Promise<void> | undefined
  const loop = (): void => {
    reading = readLags()
      .then(rows => { lastRows = rows })
      .catch(err => fastify.log.warn({ err }, 'reading the consumer groups\' lag failed'))
      .finally(() => { if (!stopped) timer = setTimeout(loop, config.GROUP_LAG_INTERVAL_MS) })
  }
  fastify.addHook('onReady', async () => { loop() })
  // Before the Kafka clients close (registered earlier, closed later): no reading outlives them.
  fastify.addHook('onClose', async () => {
    stopped = true
    clearTimeout(timer)
    await reading
  })
  // eslint-disable-next-line no-new
  new Gauge({
    name: 'vitrine_group_lag_records',
    help: 'Lag of every consumer group on the catalog topics: the partition end offset minus the group\'s committed offset (read in the background every GROUP_LAG_INTERVAL_MS)',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const r of lastRows) this.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag)
    }
  })
}, { name: 'gateway-observability', dependencies: ['vitrine-metrics'] })
