import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@vitrine/infra/testing'
import type { LabGroupsState, LabGroupView } from '../../src/wire.ts'
import { LAB_MAX_MEMBERS, LAB_PARTITIONS, decodeAssignment } from '../../src/lib/lab-groups.ts'
import { gatewayHarness } from './helper.ts'

const h = gatewayHarness()

async function call (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(`${h.url}/api/lab/grupos${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

const fieldRules = (body: { errors?: Array<{ field: string, rule: string }> }): string[] => (body.errors ?? []).map(e => `${e.field}:${e.rule}`)

async function groupWhen (key: string, what: string, ok: (g: LabGroupView) => boolean, timeoutMs = 20_000): Promise<LabGroupView> {
  return await waitFor(what, async () => {
    const g = ((await call('GET', '/')).body as LabGroupsState).groups.find(x => x.key === key)
    return g && ok(g) ? g : undefined
  }, timeoutMs)
}

const owned = (g: LabGroupView): number[] => g.members.flatMap(m => m.partitions).sort((a, b) => a - b)
const ALL = Array.from({ length: LAB_PARTITIONS }, (_, i) => i)

test('a classic member\'s assignment bytes decode, and an empty one (mid-rebalance) is no partitions', () => {
  const raw = Buffer.from('00000000000100036c61620000000200000000000000030000000000', 'hex')
  assert.deepEqual(decodeAssignment(raw), [{ topic: 'lab', partition: 0 }, { topic: 'lab', partition: 3 }])
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), [])
})

test('the consumer groups lab: groups of both protocols, members, delay, freeze, close, limits and the end', async (t) => {
  t.after(async () => { await call('POST', '/end').catch(() => {}) })
  const empty = await call('GET', '/')
  assert.equal(empty.status, 200)
  assert.deepEqual(empty.body.groups, [])

  // Bad input: the protocol is one of three.
  const bad = await call('POST', '/groups', { protocol: 'sticky' })
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'SHOP_ERR_VALIDATION')
  assert.ok(fieldRules(bad.body).some(r => r.startsWith('body.protocol:')), JSON.stringify(bad.body))

  const eager = await call('POST', '/groups', { protocol: 'eager' })
  assert.equal(eager.status, 201)
  assert.equal(eager.body.topic.name, `${h.env.prefix}lab.grupos`)
  const kip = await call('POST', '/groups', { protocol: 'consumer' })
  assert.equal(kip.status, 201)
  const [g1, g2] = (kip.body as LabGroupsState).groups.map(g => g.key) as [string, string]
  // Two groups side by side at most.
  const third = await call('POST', '/groups', { protocol: 'cooperative' })
  assert.equal(third.status, 400)
  assert.deepEqual(fieldRules(third.body), ['body.protocol:maxGroups'])

  // An unknown group or member is a 404 naming the parameter; a malformed one a 400 naming its rule.
  const noGroup = await call('POST', '/groups/g999/members')
  assert.equal(noGroup.status, 404)
  assert.equal(noGroup.body.code, 'SHOP_ERR_NOT_FOUND')
  assert.equal(noGroup.body.details.field, 'params.group')
  assert.equal((await call('DELETE', '/groups/g999')).status, 404)
  const badGroup = await call('POST', '/groups/x/members')
  assert.equal(badGroup.status, 400)
  assert.ok(fieldRules(badGroup.body).some(r => r.startsWith('params.group:')))

  // Two members in each group, while the producer writes.
  assert.equal((await call('PUT', '/producer', { running: true, ratePerSec: 20 })).status, 200)
  for (const key of [g1, g2, g1, g2]) assert.equal((await call('POST', `/groups/${key}/members`)).status, 201)
  const both = (g: LabGroupView): boolean => g.members.length === 2 && g.members.every(m => m.inGroup && m.partitions.length === LAB_PARTITIONS / 2) && owned(g).join() === ALL.join()
  const e1 = await groupWhen(g1, 'eager group: 2 members, half the partitions each', both)
  assert.equal(e1.broker.assignor, 'range')
  const k1 = await groupWhen(g2, 'KIP-848 group: 2 members, half the partitions each', both)
  assert.equal(k1.broker.assignor, 'uniform')
  assert.ok(k1.broker.epoch !== null && k1.broker.epoch > 0)
  // The timeline holds the callbacks: each member got partitions.
  assert.ok(e1.timeline.some(e => e.kind === 'assign' && e.partitions.length > 0))
  // Committed offsets move: the members read what the producer writes.
  await groupWhen(g1, 'commits on every partition', g => g.partitions.every(p => p.committed !== null && p.committed > 0))

  const [m1, m2] = e1.members.map(m => m.name) as [string, string]
  // Freeze m2 of the eager group first (its max.poll.interval.ms runs while the next steps do): the broker
  // keeps it (heartbeats go on) until then, and m1 holds all after.
  const frozen = await call('POST', `/groups/${g1}/members/${m2}/freeze`)
  assert.equal(frozen.status, 200)
  assert.equal((frozen.body as LabGroupsState).groups[0]!.members.find(m => m.name === m2)!.status, 'frozen')
  const held = await groupWhen(g1, 'the frozen member still in the group', g => g.members.find(m => m.name === m2)!.inGroup, 3000)
  assert.equal(held.members.find(m => m.name === m2)!.partitions.length, LAB_PARTITIONS / 2)
  // Delay: bounded; unknown member named.
  const tooSlow = await call('PUT', `/groups/${g1}/members/${m1}/delay`, { ms: 60_000 })
  assert.equal(tooSlow.status, 400)
  assert.ok(fieldRules(tooSlow.body).some(r => r.startsWith('body.ms:')))
  const noMember = await call('PUT', `/groups/${g1}/members/m999/delay`, { ms: 100 })
  assert.equal(noMember.status, 404)
  assert.equal(noMember.body.details.field, 'params.member')
  for (const [method, path] of [['POST', `/groups/${g1}/members/m999/freeze`], ['DELETE', `/groups/${g1}/members/m999`]] as const) assert.equal((await call(method, path)).status, 404, path)
  const badMember = await call('POST', `/groups/${g1}/members/bob/freeze`)
  assert.equal(badMember.status, 400)
  assert.ok(fieldRules(badMember.body).some(r => r.startsWith('params.member:')))
  const badRate = await call('PUT', '/producer', { running: true, ratePerSec: 0 })
  assert.equal(badRate.status, 400)
  assert.ok(fieldRules(badRate.body).some(r => r.startsWith('body.ratePerSec:')), JSON.stringify(badRate.body))
  const slowed = await call('PUT', `/groups/${g1}/members/${m1}/delay`, { ms: 200 })
  assert.equal(slowed.status, 200)
  assert.equal((slowed.body as LabGroupsState).groups[0]!.members[0]!.delayMs, 200)

  // Members over every group are capped.
  const more = LAB_MAX_MEMBERS - 4
  for (let i = 0; i < more; i++) assert.equal((await call('POST', `/groups/${g2}/members`)).status, 201)
  const over = await call('POST', `/groups/${g2}/members`)
  assert.equal(over.status, 400)
  assert.deepEqual(fieldRules(over.body), ['params.group:maxMembers'])
  assert.match(over.body.message, /UV_THREADPOOL_SIZE/)

  // Close m1 of the KIP-848 group cleanly: it leaves at once and the other members take its partitions.
  const k1m1 = k1.members[0]!.name
  assert.equal((await call('DELETE', `/groups/${g2}/members/${k1m1}`)).status, 200)
  await groupWhen(g2, 'the closed member gone, its partitions taken', g => !g.members.some(m => m.name === k1m1) && owned(g).join() === ALL.join(), 10_000)
  const after = await groupWhen(g1, 'the frozen member dropped, m1 holds all', g => !g.members.find(m => m.name === m2)!.inGroup && g.members.find(m => m.name === m1)!.partitions.length === LAB_PARTITIONS, 25_000)
  assert.ok(after.timeline.some(e => e.kind === 'freeze' && e.member === m2))
  // The timeline names where they came from: m1's callback got m2's partitions.
  const frozenParts = held.members.find(m => m.name === m2)!.partitions
  assert.ok(after.timeline.some(e => e.kind === 'assign' && e.member === m1 && frozenParts.every(p => e.moved.some(x => x.partition === p && x.from === m2))), JSON.stringify(after.timeline))

  // More members than partitions: with the eager group removed, a fifth member of the KIP-848 group is idle.
  const removed = await call('DELETE', `/groups/${g1}`)
  assert.equal(removed.status, 200)
  assert.deepEqual((removed.body as LabGroupsState).groups.map(g => g.key), [g2])
  for (let i = 0; i < 2; i++) assert.equal((await call('POST', `/groups/${g2}/members`)).status, 201)
  const idle = await groupWhen(g2, 'five members, four partitions: one idle', g => g.members.length === 5 && g.members.every(m => m.inGroup) && owned(g).join() === ALL.join() && g.members.filter(m => m.partitions.length === 0).length === 1, 15_000)
  assert.equal(idle.partitions.filter(p => p.owner !== null).length, LAB_PARTITIONS)

  // Cooperative-sticky, the third protocol: when a second member joins, the first gives up only the
  // partitions that move (an eager member revokes all of them first) and keeps reading the rest.
  assert.equal((await call('DELETE', `/groups/${g2}`)).status, 200)
  const coop = await call('POST', '/groups', { protocol: 'cooperative' })
  assert.equal(coop.status, 201)
  const g3 = (coop.body as LabGroupsState).groups.find(g => g.protocol === 'cooperative')!.key
  assert.equal((await call('POST', `/groups/${g3}/members`)).status, 201)
  const alone = await groupWhen(g3, 'cooperative group: one member holds every partition', g => g.members.length === 1 && owned(g).join() === ALL.join())
  const c1 = alone.members[0]!.name
  assert.equal((await call('POST', `/groups/${g3}/members`)).status, 201)
  const split = await groupWhen(g3, 'cooperative group: two members, half the partitions each', both)
  const revokes = split.timeline.filter(e => e.kind === 'revoke' && e.member === c1 && e.partitions.length > 0)
  assert.ok(revokes.length > 0 && revokes.every(e => e.partitions.length === LAB_PARTITIONS / 2), `the first member should give up only the half that moved: ${JSON.stringify(split.timeline)}`)

  // Encerrar laboratório: members closed, groups and topic deleted.
  const end = await call('POST', '/end')
  assert.equal(end.status, 200)
  assert.deepEqual(end.body.groups, [])
  assert.equal(end.body.producer.running, false)
  const groupsLeft = [...(await h.app.kafkaConsole.admin.listGroups({ types: ['classic', 'consumer'] } as never)).keys()].filter(id => id.startsWith(`${h.env.prefix}lab.`))
  assert.deepEqual(groupsLeft, [])
  await waitFor('lab topic deleted', async () => !(await h.app.kafkaConsole.topicNames()).includes(`${h.env.prefix}lab.grupos`), 10_000)
})
