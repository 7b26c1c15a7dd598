import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import { ControlPlane, controlSettings } from '../../../src/control/plane.ts'
import ex07, { ex07Topic } from '../../../src/exercises/ex07.ts'
import { exerciseContext } from '../../../src/exercises/context.ts'
import type { CheckResult, ExerciseContext } from '../../../src/exercises/types.ts'
import { freePort } from '../../../src/proc.ts'
import { up } from '../../../src/stack.ts'
import { produceOne } from '../../../src/exercises/lab.ts'
import { cleanup, freeBrokerBase, isolatedSettings, testEnv, waitFor } from '../../../src/testing/index.ts'

// Exercises 7, 8 and 9: for each, setup → the checker says what is missing → a wrong attempt is
// still not done → the scripted solution (what a student does, through the control plane and real
// clients) → done. Exercise 7 runs on a private 3-broker cluster (it stops one); 8 and 9 on the
// exercise shop over the shared stack.

/** Asserts the verdict is "not done" with a missing line matching `why`. */
function notDone (r: CheckResult, why: RegExp): void {
  assert.equal(r.done, false, `expected not done, got done (seen: ${(r.seen ?? []).join(' | ')})`)
  assert.ok(r.missing.some(m => why.test(m)), `no missing line matches ${String(why)}: ${r.missing.join(' | ')}`)
}

function isDone (r: CheckResult): void {
  assert.deepEqual(r.missing, [], `still missing: ${r.missing.join(' | ')} (seen: ${(r.seen ?? []).join(' | ')})`)
  assert.equal(r.done, true)
}

/** A private 3-broker cluster under its own control plane (no services): the stack exercise 7 stops a broker of. */
async function clusterContext (t: TestContext): Promise<ExerciseContext> {
  const stack = isolatedSettings(t, await freeBrokerBase(3), { brokers: 3, kafkaHeapMb: 384 })
  await up(stack, { only: ['kafka-1', 'kafka-2', 'kafka-3'], catalog: false })
  const plane = new ControlPlane(controlSettings(stack, { ports: { control: await freePort() }, only: [], env: { TOPIC_PREFIX: testEnv().prefix } }))
  const ctx = exerciseContext(plane)
  cleanup(t, ctx.close)
  return ctx
}

test('exercise 7: a broker stopped while writing with acks=all, then back in the ISR', { timeout: 240_000 }, async t => {
  const ctx = await clusterContext(t)
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
})
