import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { assertTimeline, runDrill, startDrillApi } from '../../../src/testing/chaos.ts'
import postgres from 'postgres'
import { readPid, sleep } from '../../../src/proc.ts'
import { brokerPorts } from '../../../src/settings.ts'
import type { StackSettings } from '../../../src/settings.ts'
import { up } from '../../../src/stack.ts'
import { freeBrokerBase, isolatedSettings, observabilityMissing, startObservability, waitFor } from '../../../src/testing/index.ts'
import { startExerciseShop } from '../../../src/testing/exercises.ts'

// The drills that fault the stack itself, end to end over the control plane's routes, on a stack
// of their own (3 brokers, PostgreSQL and the registry on private ports, in a file of its own: a
// failed start stops everything this process started since): PostgreSQL frozen (SIGSTOP of its
// process group) and resumed, and the leader of orders.new partition 0 killed and started again.
// Never on the shared stack: freezing its PostgreSQL would freeze every suite beside this one.
// First, without any stack: a paused group is resumed even when the process that paused it dies.

const DRILLS = new URL('../../../src/chaos/drills.ts', import.meta.url).href

/** The state letter of /proc/<pid>/stat: T when stopped. */
const procState = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').slice(0, 1)

/** A `sleep` leading a process group of its own, as the supervisor starts PostgreSQL. */
function groupLeader (t: TestContext): number {
  const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' })
  child.unref()
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } })
  return child.pid!
}

/** A node process that pauses the group `pid` (for at most `maxMs`), then ends the way `end` says. */
async function pauseFromChild (pid: number, maxMs: number, end: string): Promise<void> {
  const code = `const { pauseGroup } = await import(${JSON.stringify(DRILLS)}); pauseGroup(${pid}, ${maxMs}); ${end}`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const [status, signal] = await new Promise<[number | null, string | null]>(resolve => child.on('exit', (c, s) => { resolve([c, s]) }))
  assert.ok(status === 0 || signal === 'SIGKILL', `the pausing process ended with ${status ?? signal}: ${stderr}`)
}

test('a paused process group is resumed by the watchdog when the pausing process is SIGKILLed, and at once when it exits', async t => {
  const killed = groupLeader(t)
  await pauseFromChild(killed, 3000, 'process.kill(process.pid, \'SIGKILL\')')
  assert.equal(procState(killed), 'T', 'the group is stopped after its pauser died')
  await waitFor('the watchdog to resume the group', async () => procState(killed) !== 'T', 15_000, 200)

  const exited = groupLeader(t)
  await pauseFromChild(exited, 120_000, 'process.exit(0)')
  assert.notEqual(procState(exited), 'T', 'the exit hook resumed the group')
})

/** A private stack: 3 brokers, PostgreSQL, the registry; one more try on other ports if the first start fails (busy machine). */
async function privateStack (t: TestContext): Promise<StackSettings> {
  const start = async (): Promise<StackSettings> => {
    const stack = isolatedSettings(t, await freeBrokerBase(3), { brokers: 3, kafkaHeapMb: 384 })
    await up(stack, { only: ['kafka-1', 'kafka-2', 'kafka-3', 'postgres', 'registry-backend', 'registry'], catalog: false })
    return stack
  }
  return await start().catch(async (err: Error) => {
    t.diagnostic(`the private stack did not start (${err.message}); trying once more on other ports`)
    return await start()
  })
}

/** Runs a drill to its end; `duringFault` runs once the fault is on (its first event after the start). */
test('on a private 3-broker stack: PostgreSQL paused then resumed, and the broker leader killed then started, each with its timeline and the invariants holding', { timeout: 1_200_000 }, async t => {
  const stack = await privateStack(t)
  const shop = await startExerciseShop({ services: ['inventory', 'payment', 'notification', 'checkout-api'], stack })
  let api: FastifyInstance | undefined
  try {
    // A private Prometheus scraping this shop's services and brokers, its alerts' `for:` cut to 1 s: the timelines list what fired.
    // Without Prometheus installed (outside CI, where that throws) the drills run and the alerts go unchecked, said in the output.
    const apps = shop.plane.settings.apps.ports
    const noObservability = observabilityMissing()
    if (noObservability !== false) t.diagnostic(`no alerts checked: ${noObservability}`)
    const targets = { services: Object.fromEntries(['inventory', 'payment', 'notification', 'checkout-api'].map(n => [n, apps[n]!])), jmx: Array.from({ length: 3 }, (_, i) => brokerPorts(stack, i).jmx) }
    const obs = noObservability === false ? await startObservability(t, { targets, alertFor: '1s', scrapeInterval: '2s' }) : undefined
    // Calm first: every target scraped (a JMX exporter's first scrape is slow), so what fires later is the drills'.
    if (obs) await waitFor('every scrape target up', async () => { const all = await obs.targets(); return all.length >= 7 && all.every(x => x.health === 'up') }, 120_000, 500)
    api = await startDrillApi(shop.plane, { baselineMs: 2000, sampleMs: 1000, trafficPerSec: 2, recoveryTimeoutMs: 180_000, settleTimeoutMs: 60_000, ...(obs ? { prometheusUrl: obs.prometheusUrl } : {}) })
    const scenes = (await api.inject({ method: 'GET', url: '/chaos/scenes' })).json().scenes as Array<{ name: string, unavailable: string | null }>
    assert.deepEqual(scenes.filter(s => s.unavailable !== null), [], 'every scene can run on this stack')

    await t.test('postgres-pausado: the database frozen for 6 s, orders wait and end, nothing lost', async t => {
      const pg = readPid(stack.stateDir, 'postgres')!
      // The fault is real: while it lasts, PostgreSQL answers nothing (a fresh connection's query times out).
      const run = await runDrill(api!, 'postgres-pausado', { seconds: 6 }, {
        timeoutMs: 300_000,
        duringFault: async () => {
          assert.equal(procState(pg), 'T', 'the postmaster is stopped during the fault')
          const sql = postgres(shop.env.databaseUrl, { max: 1, connect_timeout: 2, onnotice: () => {} })
          try {
            const answer = await Promise.race([sql`select 1 as one`.then(() => 'answered', () => 'failed'), sleep(2500).then(() => 'silent')])
            assert.notEqual(answer, 'answered', 'a frozen PostgreSQL answered a query')
          } finally {
            sql.end({ timeout: 1 }).catch(() => {})
          }
        }
      })
      t.diagnostic(`postgres-pausado: ${run.orders} orders, recovered ${run.recoverySeconds} s after the fault; alerts ${JSON.stringify(run.alerts.map(a => [a.name, a.state]))}; ${run.events.map(e => e.text).join(' | ')}`)
      assertTimeline(run)
      assert.ok(run.orders >= 4, `orders checked: ${run.orders}`)
      assert.ok(run.events.some(e => /PostgreSQL congelado \(SIGSTOP/.test(e.text)) && run.events.some(e => /descongelado \(SIGCONT\)/.test(e.text)), JSON.stringify(run.events))
      assert.notEqual(procState(pg), 'T', 'PostgreSQL runs again')
      assert.ok(Date.parse(run.faultEndedAt!) - Date.parse(run.faultStartedAt!) >= 6000)
    })

    await t.test('lider-morto: the leader of orders.new partition 0 killed, another takes over, orders go on, the broker comes back', async t => {
      const run = await runDrill(api!, 'lider-morto', { seconds: 10 }, { timeoutMs: 300_000 })
      t.diagnostic(`lider-morto: ${run.orders} orders, recovered ${run.recoverySeconds} s after the fault; ${run.events.map(e => e.text).join(' | ')}`)
      assertTimeline(run)
      assert.ok(run.orders >= 4, `orders checked: ${run.orders}`)
      const killed = /(kafka-\d), líder de .* morto \(SIGKILL\)/.exec(run.events.map(e => e.text).join('\n'))
      assert.ok(killed, JSON.stringify(run.events))
      assert.ok(run.events.some(e => e.text === `${killed[1]!} iniciado de novo`), JSON.stringify(run.events))
      assert.ok(readPid(stack.stateDir, killed[1]!) !== undefined, `${killed[1]!} runs again`)
      // The plan's "alerts firing": Prometheus saw the killed broker's exporter down.
      t.diagnostic(`lider-morto alerts: ${JSON.stringify(run.alerts)}`)
      if (!obs) return
      assert.equal(run.alertsFrom, obs.prometheusUrl)
      const broker = `broker ${killed[1]!.slice('kafka-'.length)} `
      assert.ok(run.alerts.some(a => a.name === 'BrokerDown' && a.firingAt !== null && a.firingAt >= run.faultStartedAt! && (a.summary ?? '').startsWith(broker)), `no BrokerDown fired for ${broker}: ${JSON.stringify(run.alerts)}`)
      assert.ok(run.events.some(e => e.text.startsWith(`alerta BrokerDown disparando: ${broker}`)), JSON.stringify(run.events))
    })
  } finally {
    await api?.close()
    await shop.close()
  }
})
