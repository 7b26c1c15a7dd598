import fp from 'fastify-plugin'
import { listExercises, statusKey } from '../../lib/control.ts'
import type { ExerciseViewType } from '../../schemas/exercises.ts'
import type { GatewayConfigType } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    exercises: {
      /** The last list read from the control plane (undefined before the first reading). */
      latest: () => ExerciseViewType[] | undefined
      /** A fresh list (or one exercise just checked): kept, and pushed to the browsers if a status changed. */
      seen: (update: ExerciseViewType[] | ExerciseViewType) => void
    }
  }
}

/**
 * The scoreboard's live side: while at least one browser is connected, the gateway asks the control
 * plane for the exercises every EXERCISES_POLL_MS and pushes `exercises` ({ exercises }) over
 * socket.io when any status changed, so a checker turning done shows on every open page. Nobody
 * connected, nothing asked: the control plane runs checkers only for someone watching.
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const io = fastify.io
  let last: ExerciseViewType[] | undefined
  let lastKey = ''

  const seen = (update: ExerciseViewType[] | ExerciseViewType): void => {
    let list: ExerciseViewType[]
    if (Array.isArray(update)) list = update
    else if (last) list = last.some(e => e.n === update.n) ? last.map(e => (e.n === update.n ? update : e)) : [...last, update].sort((a, b) => a.n - b.n)
    else return // One exercise is not the list: the next reading brings it.
    last = list
    const key = statusKey(list)
    if (key === lastKey) return
    lastKey = key
    io.emit('exercises', { exercises: list })
  }
  fastify.decorate('exercises', { latest: () => last, seen })
  io.on('connection', socket => { if (last) socket.emit('exercises', { exercises: last }) })

  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let reading: Promise<void> | undefined
  let unreachable = false
  const loop = (): void => {
    const watched = io.engine.clientsCount > 0
    reading = (watched ? listExercises(config.CONTROL_URL, config.CONTROL_TIMEOUT_MS).then(seen) : Promise.resolve())
      .then(() => { unreachable = false })
      .catch(err => {
        // Said once per outage: a demo without the control plane must not fill the log.
        if (!unreachable) fastify.log.info({ err: (err as Error).message }, 'the control plane does not answer; the Exercícios page waits for it')
        unreachable = true
      })
      .finally(() => { if (!stopped) timer = setTimeout(loop, config.EXERCISES_POLL_MS) })
  }
  fastify.addHook('onReady', async () => { loop() })
  fastify.addHook('onClose', async () => {
    stopped = true
    clearTimeout(timer)
    await reading
  })
}, { name: 'gateway-exercises', dependencies: ['gateway-socket'] })
