import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Server } from 'node:net'
import { test } from 'node:test'
import { ROOT, bootstrapServers } from '../../src/settings.ts'
import type { StackSettings } from '../../src/settings.ts'
import { PortTakenError, freePort, isRunning, listeners, nodeTs, portInUse, procStat, readPid, sleep } from '../../src/proc.ts'
import { StackError, components, down, up } from '../../src/stack.ts'
import { nodeDir, prepareNode } from '../../src/kafka-node.ts'
import { createAdmin } from '../../src/topics.ts'
import { freeBrokerBase, isolatedSettings, uniqueName } from '../../src/testing/stack-env.ts'

// These tests start, kill and stop their own stacks, each on its own ports and in its own
// temporary state folder: the shared dev stack on the default ports is never touched.

/** Every live process in the process groups of the stack's components, and their descendants. */
function processesOf (s: StackSettings): number[] {
  const roots = components(s).map(c => readPid(s.stateDir, c.name)).filter((p): p is number => p !== undefined)
  const table = readdirSync('/proc').filter(d => /^\d+$/.test(d)).map(d => procStat(Number(d))).filter(p => p !== undefined)
  const found = new Set<number>()
  for (const p of table) if (roots.includes(p.pgid)) found.add(p.pid)
  // Descendants that left the group (a server may start its own session) are still ours.
  let grew = true
  while (grew) {
    grew = false
    for (const p of table) if (found.has(p.ppid) && !found.has(p.pid)) { found.add(p.pid); grew = true }
  }
  return [...found]
}

async function listen (t: { after: (fn: () => Promise<void>) => void }, port: number): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
  t.after(async () => { await new Promise<void>(resolve => server.close(() => resolve())) })
  return server
}

test('a taken port makes `up` fail fast, naming the port and the component, and starts nothing', { skip: process.platform === 'win32' }, async t => {
  const s = isolatedSettings(t, 23092)
  for (const [port, component] of [[s.kafkaPort, 'kafka-1'], [s.pgPort, 'postgres'], [s.registryPort, 'registry']] as const) {
    const server = await listen(t, port)
    const started = Date.now()
    await assert.rejects(up(s), (err: unknown) => {
      assert.ok(err instanceof PortTakenError, `expected a PortTakenError, got ${String(err)}`)
      assert.equal(err.port, port)
      assert.equal(err.component, component)
      assert.match(err.message, new RegExp(`porta ${port}\\b.*${component}`))
      return true
    })
    assert.ok(Date.now() - started < 10_000, `up took ${Date.now() - started}ms to notice port ${port} was taken`)
    for (const c of components(s)) assert.equal(readPid(s.stateDir, c.name), undefined, `${c.name} was started although port ${port} was taken`)
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
})

test('`down` leaves no process and no listening port of ours', { timeout: 240_000, skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
  const s = isolatedSettings(t, 19092)
  await up(s)
  const ports = components(s).flatMap(c => c.ports)
  for (const port of ports) assert.equal(await portInUse(port), true, `port ${port} is not listening after up`)
  const pids = processesOf(s)
  // Each component has its own process group: at least one process each (postgres has its server below the host).
  assert.ok(pids.length >= components(s).length + 1, `found only ${pids.length} processes: ${pids.join(', ')}`)

  const leftovers = await down(s)
  assert.deepEqual(leftovers, [])
  for (const port of ports) assert.equal(await portInUse(port), false, `port ${port} still listens after down`)
  assert.deepEqual(pids.filter(isRunning), [], 'processes still running after down')
  for (const c of components(s)) assert.equal(readPid(s.stateDir, c.name), undefined, `${c.name} still has a pid file`)
})

test('`up` on a half-dead stack restarts what is dead: a killed server, and a server of ours whose pid file was lost', { timeout: 120_000, skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
  const s = isolatedSettings(t, 24092)
  const only = { only: ['postgres'], catalog: false }
  await up(s, only)
  const first = readPid(s.stateDir, 'postgres')!
  // The pid file names the process that listens (not a wrapper), so kill -9 of it is a real crash.
  assert.deepEqual(listeners([s.pgPort]).get(s.pgPort), [first])
  process.kill(first, 'SIGKILL')
  const deadline = Date.now() + 10_000
  while (await portInUse(s.pgPort) && Date.now() < deadline) await sleep(100)
  await up(s, only)
  const second = readPid(s.stateDir, 'postgres')!
  assert.notEqual(second, first)
  assert.deepEqual(listeners([s.pgPort]).get(s.pgPort), [second])

  // The pid file is gone but the server still listens: it is ours (it runs from our folders), so it is replaced, not reported as a stranger.
  rmSync(join(s.stateDir, 'pids', 'postgres.pid'))
  await up(s, only)
  const third = readPid(s.stateDir, 'postgres')!
  assert.notEqual(third, second)
  assert.equal(isRunning(second), false, 'the orphaned server still runs')
  assert.deepEqual(listeners([s.pgPort]).get(s.pgPort), [third])
})

test('`down` stops a process of ours that listens on one of our ports without a pid file, and names one that is not ours', { timeout: 60_000, skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
  const s = isolatedSettings(t, 26092)
  const [oursPort, foreignPort] = [await freePort(), await freePort()]
  // A service restarted by hand (as a runbook once said): a process of this project, unknown to the supervisor.
  const { command, args } = nodeTs(join(ROOT, 'infra/src/registry-proxy.ts'), [String(oursPort), String(s.registryBackendPort)])
  const child = spawn(command, args, { stdio: 'ignore', detached: true })
  t.after(() => { try { process.kill(child.pid!, 'SIGKILL') } catch {} })
  const deadline = Date.now() + 20_000
  while (!(await portInUse(oursPort)) && Date.now() < deadline) await sleep(100)
  assert.equal(await portInUse(oursPort), true)
  // Something else on another of our ports: this test process, which down must not stop.
  await listen(t, foreignPort)

  const leftovers = await down(s, [{ name: 'inventory', ports: [oursPort] }, { name: 'web', ports: [foreignPort] }])
  assert.equal(await portInUse(oursPort), false, 'our hand-started process still listens')
  assert.equal(leftovers.length, 1, `leftovers: ${leftovers.join('; ')}`)
  assert.match(leftovers[0]!, new RegExp(`porta ${foreignPort} \\(web\\): pid ${process.pid}\\b.*não é deste projeto`))
  assert.equal(await portInUse(foreignPort), true)
})

test('a cluster formatted for 1 broker is not joined by BROKERS=3: one line says to run make clean, and nothing starts', { timeout: 60_000, skip: process.platform === 'win32' }, async t => {
  const one = isolatedSettings(t, 28092)
  await prepareNode(one, 0)
  const three = { ...one, brokers: 3 }
  await assert.rejects(up(three), (err: unknown) => {
    assert.ok(err instanceof StackError, `expected a StackError, got ${String(err)}`)
    assert.match(err.message, /cluster Kafka de 1 broker\(s\) e BROKERS=3.*make clean/)
    assert.doesNotMatch(err.message, /\n/)
    return true
  })
  for (const c of components(three)) assert.equal(readPid(three.stateDir, c.name), undefined, `${c.name} was started`)
  assert.equal(existsSync(join(nodeDir(one, 0), 'data', 'meta.properties')), true, 'the old cluster was removed without RECREATE=1')
})

test('a 3-broker cluster of the old layout (three combined broker+controller nodes) is refused with one line naming RECREATE=1, and nothing starts', { timeout: 60_000, skip: process.platform === 'win32' }, async t => {
  const three = isolatedSettings(t, await freeBrokerBase(3), { brokers: 3 })
  // The old layout's trace: three formatted nodes and no controller folder (no JVM needed to fake it).
  for (let i = 0; i < 3; i++) {
    mkdirSync(join(nodeDir(three, i), 'data'), { recursive: true })
    writeFileSync(join(nodeDir(three, i), 'data', 'meta.properties'), `node.id=${i + 1}\nversion=1\ncluster.id=VitrineKRaftCluster01A\n`)
  }
  await assert.rejects(up(three, { only: ['kafka-2'], catalog: false }), (err: unknown) => {
    assert.ok(err instanceof StackError, `expected a StackError, got ${String(err)}`)
    assert.match(err.message, /formato antigo \(três nós broker\+controller\).*controller KRaft separado.*RECREATE=1 BROKERS=3 make up/)
    assert.doesNotMatch(err.message, /\n/)
    return true
  })
  for (const c of components(three)) assert.equal(readPid(three.stateDir, c.name), undefined, `${c.name} was started`)
})

test('RECREATE=1 replaces a cluster formatted for another broker count with a new one', { timeout: 120_000, skip: process.platform === 'win32' }, async t => {
  const three = isolatedSettings(t, 30092, { brokers: 3 })
  for (let i = 0; i < 3; i++) await prepareNode(three, i)
  const one = { ...three, brokers: 1 }
  const saved = process.env.RECREATE
  process.env.RECREATE = '1'
  t.after(() => { if (saved === undefined) Reflect.deleteProperty(process.env, 'RECREATE'); else process.env.RECREATE = saved })
  await up(one, { only: ['kafka-1'], catalog: false })
  assert.equal(existsSync(join(nodeDir(three, 1), 'data', 'meta.properties')), false, 'broker 2 of the old cluster is still formatted')
  const admin = createAdmin(bootstrapServers(one), uniqueName('test-admin'))
  try {
    const meta = await admin.metadata({ topics: [] })
    assert.deepEqual([...meta.brokers.keys()], [1])
  } finally {
    await admin.close().catch(() => {})
  }
})
