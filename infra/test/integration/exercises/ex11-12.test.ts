import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { execa } from 'execa'
import ex11, { SLOW_HANDLER_MS, processFault, readSlowServiceState } from '../../../src/exercises/ex11.ts'
import ex12, { PRICES_TOPIC } from '../../../src/exercises/ex12.ts'
import type { ExerciseContext } from '../../../src/exercises/types.ts'
import { appPid } from '../../../src/apps.ts'
import { ROOT } from '../../../src/settings.ts'
import { isDone, notDone, startExerciseShop, waitFor } from '../../../src/testing/index.ts'
import type { ExerciseShop } from '../../../src/testing/index.ts'

// Exercises 11 and 12 on one exercise shop (the saga's five services over the shared stack, under a
// private control plane): for each, setup → the checker says what is missing → the scripted
// solution, done as a student would (the metrics, the control plane, Kafka's console producer) →
// done; and a wrong attempt that must not count.

let shop: ExerciseShop
before(async () => { shop = await startExerciseShop() })
after(async () => { await shop?.close() })

/** Average handler time per record of each service since it started, from its own /metrics (what the student compares). */
async function handlerAverages (ctx: ExerciseContext, services: readonly string[]): Promise<Map<string, { avgMs: number, count: number }>> {
  const out = new Map<string, { avgMs: number, count: number }>()
  for (const s of services) {
    const body = await (await fetch(`${ctx.serviceUrl(s)}/metrics`)).text()
    const total = (name: string): number => body.split('\n').filter(l => l.startsWith(`${name}{`)).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
    const count = total('vitrine_handler_duration_seconds_count')
    out.set(s, { count, avgMs: count > 0 ? total('vitrine_handler_duration_seconds_sum') / count * 1000 : 0 })
  }
  return out
}

async function traffic (ctx: ExerciseContext, rate: number): Promise<void> {
  const res = await fetch(`${ctx.serviceUrl('checkout-api')}/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rate, mode: 'choreography', failPaymentShare: 0, outOfStockShare: 0 }) })
  assert.equal(res.status, 200, await res.text())
}

test('exercise 11: the slow service found from the metrics and restarted alone', { timeout: 180_000 }, async () => {
  const { ctx, plane } = shop
  // Orders flowing from the start, as on the demo: the setup's restarts keep the generator running.
  await traffic(ctx, 3)
  await ex11.setup(ctx)
  assert.equal((await (await fetch(`${ctx.serviceUrl('checkout-api')}/traffic`)).json() as { running: boolean }).running, true, 'the traffic generator still runs after the setup')
  const state = readSlowServiceState(ctx)
  assert.ok(state, 'the setup records the slow service in the state folder')
  const services = Object.keys(state.pids)
  assert.equal(services.length, 5)
  assert.equal(processFault(appPid(plane.settings.apps, state.service)!), SLOW_HANDLER_MS, 'the chosen service runs with the fault')
  const start = await ex11.check(ctx)
  notDone(start, /continua lento/)
  assert.ok(![...start.missing, ...(start.seen ?? [])].some(l => l.includes(state.service)), `the verdict does not give the slow service away: ${JSON.stringify(start)}`)

  // The solution: with orders flowing, the metrics point at one service; restart only that one.
  const averages = await waitFor('every service handled records', async () => {
    const a = await handlerAverages(ctx, services)
    return [...a.values()].every(v => v.count > 0) && a.get(state.service)!.count >= 2 ? a : undefined
  }, 60_000, 500)
  await traffic(ctx, 0)
  const slowest = [...averages].sort((x, y) => y[1].avgMs - x[1].avgMs)[0]!
  assert.equal(slowest[0], state.service, `the metrics point at the slow service: ${JSON.stringify([...averages])}`)
  assert.ok(slowest[1].avgMs >= SLOW_HANDLER_MS * 0.9, `its handler takes the fault's time: ${slowest[1].avgMs} ms`)
  await plane.act(state.service, 'restart')
  isDone(await waitFor('exercise 11 done', async () => {
    const r = await ex11.check(ctx)
    return r.done ? r : undefined
  }, 30_000, 500).catch(async () => await ex11.check(ctx)))

  // A restart by guesswork does not count: another service restarted too undoes the verdict.
  const innocent = services.find(s => s !== state.service)!
  await plane.act(innocent, 'restart')
  notDone(await ex11.check(ctx), new RegExp(`também foram reiniciados: ${innocent}`))

  // RESET=1: the start state again (one service slow, the pids recorded anew).
  await ex11.setup(ctx)
  notDone(await ex11.check(ctx), /continua lento/)
  const again = readSlowServiceState(ctx)!
  for (const s of services) assert.equal(processFault(appPid(plane.settings.apps, s)!), s === again.service ? SLOW_HANDLER_MS : 0, `${s}: only the chosen service is slow`)
})

/** Lines into Kafka's own console producer, as the page tells the student to type them (key:value). */
async function consoleProduce (ctx: ExerciseContext, lines: string[]): Promise<void> {
  await execa(join(ROOT, 'infra/bin/kafka'), [
    'console-producer', '--bootstrap-server', ctx.brokers, '--topic', ctx.topicPrefix + PRICES_TOPIC,
    '--property', 'parse.key=true', '--property', 'key.separator=:', '--property', 'null.marker=NULL'
  ], { input: lines.join('\n') + '\n', timeout: 60_000 })
}

test('exercise 12: a key overwritten and another deleted by a tombstone on a compacted topic', { timeout: 120_000 }, async () => {
  const { ctx } = shop
  await ex12.setup(ctx)
  const start = await ex12.check(ctx)
  notDone(start, /preço atual da caneca/)
  notDone(start, /bone ainda tem preço/)

  // Wrong attempt: an empty value (the line `bone:`) is a record like any other, not a tombstone.
  // (Kafka's Java producer, as the student types it: librdkafka would send an empty payload as null.)
  await consoleProduce(ctx, ['caneca:3490', 'bone:'])
  notDone(await ex12.check(ctx), /valor vazio/)

  // The solution: the tombstone, a null value (the console producer's null.marker).
  await consoleProduce(ctx, ['bone:NULL'])
  const done = await ex12.check(ctx)
  isDone(done)
  assert.ok(done.seen?.some(l => /bone=\(tombstone\)/.test(l)), (done.seen ?? []).join(' | '))

  // RESET=1: the seed written again is the latest value of each key again.
  await ex12.setup(ctx)
  notDone(await ex12.check(ctx), /preço atual da caneca/)
})
