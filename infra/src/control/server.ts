import Fastify from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import controlApp, { controlServerOptions } from './app.ts'
import { ControlPlane, controlSettings } from './plane.ts'
import { restartCrashed } from './restarts.ts'

// The control plane's HTTP server: `make demo` starts it beside the services (CONTROL_PORT, 3099).
// Loopback only: it can stop and crash every process of the shop.
const plane = new ControlPlane(controlSettings())
const port = plane.settings.apps.ports.control!
const fastify = Fastify(controlServerOptions(process.env.LOG_LEVEL ?? 'info')).withTypeProvider<TypeBoxTypeProvider>()
// Every exercise begun checked every 10 s, so the UI's scoreboard turns done without the student asking.
const exerciseCheckMs = Number(process.env.EXERCISE_CHECK_MS || 10_000)
if (!Number.isInteger(exerciseCheckMs) || exerciseCheckMs < 0) throw new Error(`EXERCISE_CHECK_MS must be a whole number of milliseconds (0 = off), got "${process.env.EXERCISE_CHECK_MS}"`)
await fastify.register(controlApp, { plane, exerciseCheckMs })
// The sales-counter's crash point exits the process; like a real supervisor, the plane starts it again.
const stopRestarts = restartCrashed(plane, r => {
  if ('error' in r) fastify.log.error({ err: r.error, component: r.name }, 'restart after the crash point failed')
  else fastify.log.info({ component: r.name }, 'restarted after its crash point')
})
fastify.addHook('onClose', async () => { stopRestarts() })

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { fastify.close().then(() => process.exit(0), () => process.exit(1)) })
}
await fastify.listen({ port, host: '127.0.0.1' })
