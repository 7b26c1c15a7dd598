import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import { ControlPlane, controlSettings } from '../../../src/control/plane.ts'
import ex07, { ex07Topic } from '../../../src/exercises/ex07.ts'
import { exerciseContext } from '../../../src/exercises/context.ts'
import type { ExerciseContext } from '../../../src/exercises/types.ts'
import { produceOne } from '../../../src/exercises/lab.ts'
import { freePort } from '../../../src/proc.ts'
import type { StackSettings } from '../../../src/settings.ts'
import { up } from '../../../src/stack.ts'
import { cleanup, freeBrokerBase, isolatedSettings, testEnv, waitFor } from '../../../src/testing/index.ts'
import { isDone, notDone } from '../../../src/testing/exercises.ts'

// Exercise 7: setup → the checker says what is missing → a wrong attempt is still not done → the
// scripted solution (stop broker 2 through the control plane, write with acks=all, start it) → done.
// It runs on a private 3-broker cluster, in a file of its own: a failed start stops everything this
// process started since (proc.ts), so it must not share a process with a shop starting beside it.

/** A private 3-broker cluster under its own control plane (no services): the stack exercise 7 stops a broker of. */
async function clusterContext (t: TestContext): Promise<ExerciseContext> {
  const start = async (): Promise<StackSettings> => {
    const stack = isolatedSettings(t, await freeBrokerBase(3), { brokers: 3, kafkaHeapMb: 384 })
    await up(stack, { only: ['kafka-1', 'kafka-2', 'kafka-3'], catalog: false })
    return stack
  }
  // On a busy machine a port picked free can be taken before the broker binds it, or a broker can
  // fail its first start: one more try on other ports, said in the output, before failing the exercise.
  const stack = await start().catch(async (err: Error) => {
    t.diagnostic(`the private 3-broker cluster did not start (${err.message}); trying once more on other ports`)
    return await start()
  })
  const plane = new ControlPlane(controlSettings(stack, { ports: { control: await freePort() }, only: [], env: { TOPIC_PREFIX: testEnv().prefix } }))
  const ctx = exerciseContext(plane)
  cleanup(t, ctx.close)
  return ctx
}

async function exercise7 (ctx: ExerciseContext): Promise<void> {
  await ex07.setup(ctx)
  notDone(await ex07.check(ctx), /não foi parado/)

  // Wrong attempt: writing with every broker up proves nothing about a broker being out.
  const topic = ex07Topic(ctx)
  await produceOne(ctx.brokers, topic, 'p-1', Buffer.from('com os três brokers'))
  notDone(await ex07.check(ctx), /não foi parado/)

  // The solution: stop broker 2 (the leader), keep writing with acks=all, start it again.
  await ctx.plane.act('kafka-2', 'stop')
  for (let i = 2; i <= 4; i++) await produceOne(ctx.brokers, topic, `p-${i}`, Buffer.from('com o kafka-2 fora'))
  notDone(await ex07.check(ctx), /kafka-2 está parado/)
  await ctx.plane.act('kafka-2', 'start')
  const done = await waitFor('exercise 7 done', async () => {
    const r = await ex07.check(ctx)
    return r.done ? r : undefined
  }, 90_000, 1000)
  isDone(done)
  assert.ok(done.seen?.some(s => /gravado\(s\) depois do início.*época de líder/.test(s)), `no write seen while kafka-2 was out: ${(done.seen ?? []).join(' | ')}`)

  // RESET=1: the start state again.
  await ex07.setup(ctx)
  notDone(await ex07.check(ctx), /não foi parado/)
}

test('exercise 7: a broker stopped while writing with acks=all, then back in the ISR', { timeout: 240_000 }, async t => {
  await exercise7(await clusterContext(t))
})
