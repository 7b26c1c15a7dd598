import assert from 'node:assert/strict'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import controlApp, { controlServerOptions } from '../control/app.ts'
import type { DrillRun, DrillTimings } from '../chaos/drills.ts'
import type { ControlPlane } from '../control/plane.ts'
import { waitFor } from './saga-env.ts'

// The drill tests' shared steps: the control plane's routes over a test's own plane, one drill run
// to its end through them, and what every passing timeline must show.

/** The control plane's routes (in-process, `inject`) over a test's plane, with short drill timings. */
export async function startDrillApi (plane: ControlPlane, timings: Partial<DrillTimings>): Promise<FastifyInstance> {
  const api = Fastify(controlServerOptions('silent')).withTypeProvider<TypeBoxTypeProvider>()
  await api.register(controlApp, { plane, drillTimings: timings })
  return api
}

/** Starts a drill and waits for it to end; `duringFault` runs once the fault has begun. */
export async function runDrill (api: FastifyInstance, scene: string, body: Record<string, unknown> = {}, o: { duringFault?: () => Promise<void>, timeoutMs?: number } = {}): Promise<DrillRun> {
  const res = await api.inject({ method: 'POST', url: '/chaos/drills', payload: { scene, ...body } })
  assert.equal(res.statusCode, 202, res.body)
  const started = res.json() as DrillRun
  assert.equal(started.status, 'running')
  const get = async (): Promise<DrillRun> => (await api.inject({ method: 'GET', url: `/chaos/drills/${started.id}` })).json() as DrillRun
  if (o.duringFault) {
    await waitFor(`drill ${scene}'s fault`, async () => { const run = await get(); return run.phase !== 'baseline' && run.events.length >= 2 }, o.timeoutMs ?? 120_000, 100)
    await o.duringFault()
  }
  return await waitFor(`drill ${scene} to end`, async () => {
    const run = await get()
    return run.phase === 'done' ? run : undefined
  }, o.timeoutMs ?? 120_000, 500)
}

/** A passed drill: fault, end and recovery in order, samples taken, every invariant holding. */
export function assertTimeline (run: DrillRun): void {
  const story = JSON.stringify(run.events)
  assert.equal(run.error, null, story)
  assert.ok(run.faultStartedAt && run.faultEndedAt && run.recoveredAt, story)
  assert.ok(run.startedAt <= run.faultStartedAt && run.faultStartedAt <= run.faultEndedAt && run.faultEndedAt <= run.recoveredAt)
  assert.ok(run.samples.length >= 3, `samples: ${run.samples.length}`)
  assert.ok(run.invariants, 'no invariant report')
  assert.deepEqual(run.invariants.checks.filter(c => !c.ok), [])
  assert.deepEqual(run.invariants.checks.map(c => c.name).sort(), ['lag', 'once', 'one-charge', 'saga', 'stock', 'terminal'])
  assert.equal(run.status, 'passed', story)
}
