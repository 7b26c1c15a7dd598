import fp from 'fastify-plugin'
import { chaosCall } from '../../lib/chaos.ts'
import type { ChaosRunType } from '../../schemas/chaos.ts'
import type { GatewayConfigType } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    chaos?: {
      /** A drill just started: read the runs now instead of at the next tick. */
      seen: () => void
    }
  }
}

// Every second while a drill runs (every 5 s otherwise), and only while a browser is connected.
const RUNNING_MS = 1000
const IDLE_MS = 5000

/**
 * The drills' live side: while at least one browser is connected, the gateway reads the control
 * plane's runs and pushes `chaos` ({ runs }) over socket.io when any changed, so a drill's timeline
 * grows on every open "Caos" page as it runs.
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const io = fastify.io
  let last: ChaosRunType[] | undefined
  let lastKey = ''
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let reading: Promise<void> | undefined
  let unreachable = false

  io.on('connection', socket => { if (last) socket.emit('chaos', { runs: last }) })

  const read = async (): Promise<void> => {
    const { status, body } = await chaosCall(config.CONTROL_URL, 'GET', '/chaos/drills', config.CONTROL_TIMEOUT_MS)
    if (status !== 200) return
    const runs = (body as { runs?: ChaosRunType[] }).runs ?? []
    last = runs
    const key = JSON.stringify(runs)
    if (key === lastKey) return
    lastKey = key
    io.emit('chaos', { runs })
  }

  const loop = (): void => {
    const watched = io.engine.clientsCount > 0
    reading = (watched ? read() : Promise.resolve())
      .then(() => { unreachable = false })
      .catch(err => {
        // Said once per outage: a demo without the control plane must not fill the log.
        if (!unreachable) fastify.log.info({ err: (err as Error).message }, 'the control plane does not answer; the Caos page waits for it')
        unreachable = true
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, last?.some(r => r.status === 'running') === true ? RUNNING_MS : IDLE_MS)
      })
  }
  fastify.decorate('chaos', {
    seen: () => {
      const kick = (): void => {
        if (stopped) return
        clearTimeout(timer)
        timer = setTimeout(loop, 0)
      }
      // After the reading in progress (whose own end schedules the next tick, replaced here).
      if (reading === undefined) kick()
      else reading.then(kick, kick)
    }
  })
  fastify.addHook('onReady', async () => { loop() })
  fastify.addHook('onClose', async () => {
    stopped = true
    clearTimeout(timer)
    await reading
  })
}, { name: 'gateway-chaos', dependencies: ['gateway-socket'] })
