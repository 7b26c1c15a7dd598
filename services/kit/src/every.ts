import type { FastifyInstance } from 'fastify'

/** Stops the timer, then waits for a run in progress to end (so the pool it uses is still open). */
export type StopEvery = () => Promise<void>

/**
 * Runs `run` every `ms`, one run at a time: a tick that finds the previous run still going is
 * skipped, since sweepers go row by row and overlapping runs would only compete for the pool.
 * A run that throws is reported to `onError` and the next tick runs as usual.
 */
export function every (ms: number, run: () => Promise<unknown>, onError: (err: unknown) => void): StopEvery {
  let running: Promise<void> | undefined
  const timer = setInterval(() => {
    if (running) return
    running = run().then(() => {}, onError).finally(() => { running = undefined })
  }, ms)
  // A sweeper never keeps the process alive on its own.
  timer.unref()
  return async () => {
    clearInterval(timer)
    await running
  }
}

export interface PeriodicTask {
  /** Interval between runs (a run still going when the next is due skips that tick). */
  everyMs: number
  run: () => Promise<unknown>
  onError: (err: unknown) => void
  /** A deadline sweeper: it skips its runs while the step mode is on (plugins/step.ts moves the deadlines when it ends). */
  deadlines?: boolean
}

/**
 * A task tied to the app's lifecycle: it starts once the app is ready (its clients are connected)
 * and stops on close, waiting for a run in progress, before the plugins it uses close. Call it
 * from the plugin that owns the task, after the clients it needs are registered.
 */
export function periodic (fastify: FastifyInstance, task: PeriodicTask): void {
  let stop: StopEvery | undefined
  const run = task.deadlines === true ? async () => { if (!fastify.hasDecorator('step') || !fastify.step.frozen()) await task.run() } : task.run
  fastify.addHook('onReady', async () => { stop = every(task.everyMs, run, task.onError) })
  fastify.addHook('onClose', async () => { await stop?.() })
}
