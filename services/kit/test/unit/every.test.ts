import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { every, periodic } from '../../src/every.ts'
import { sleep } from '../../src/time.ts'

// Polled rather than timed, so a loaded machine only makes a test slower, never wrong.
async function until (done: () => boolean): Promise<void> {
  while (!done()) await sleep(5)
}

test('a run slower than the interval is never overlapped by the next tick', async () => {
  let active = 0
  let most = 0
  let runs = 0
  const stop = every(10, async () => {
    active++
    most = Math.max(most, active)
    await sleep(45)
    active--
    runs++
  }, err => { throw err })
  await until(() => runs >= 3)
  await stop()
  assert.equal(most, 1, 'one run at a time')
})

test('stop waits for the run in progress, and nothing runs after it', async () => {
  let finished = false
  let started = 0
  const stop = every(5, async () => {
    started++
    await sleep(60)
    finished = true
  }, err => { throw err })
  await until(() => started > 0)
  await stop()
  assert.equal(finished, true, 'stop resolved only after the run ended')
  await sleep(40)
  assert.equal(started, 1, 'no run after stop')
})

test('a run that throws is reported and the next tick runs as usual', async () => {
  const errors: unknown[] = []
  let n = 0
  const stop = every(10, async () => {
    n++
    if (n === 1) throw new Error('first run fails')
  }, err => errors.push(err))
  await until(() => n >= 3)
  await stop()
  assert.equal(errors.length, 1)
  assert.match((errors[0] as Error).message, /first run fails/)
})

test('periodic: starts once the app is ready and stops on close, after its run in progress', async () => {
  const app = Fastify()
  const events: string[] = []
  periodic(app, {
    everyMs: 10,
    run: async () => {
      events.push('start')
      await sleep(40)
      events.push('end')
    },
    onError: err => { throw err }
  })
  await sleep(40)
  assert.equal(events.length, 0, 'nothing runs before the app is ready')
  await app.ready()
  await until(() => events.length > 0)
  await app.close()
  events.push('closed')
  assert.equal(events.at(-2), 'end', `the last run ended before close resolved: ${events.join(',')}`)
  const n = events.length
  await sleep(40)
  assert.equal(events.length, n, 'no run after close')
})
