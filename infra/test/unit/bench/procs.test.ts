import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clockTicks, cpuBetween, parseMachineStat, parsePss, parseStat, parseStatus, processTable, processTree } from '../../../src/bench/procs.ts'
import type { CpuSnapshot } from '../../../src/bench/procs.ts'

test('/proc/<pid>/stat: parent and CPU ticks, even with spaces and parentheses in the command name', () => {
  const line = '4242 (node (my app)) S 17 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 12345 1000000 5000 18446744073709551615'
  assert.deepEqual(parseStat(4242, line), { pid: 4242, ppid: 17, comm: 'node (my app)', ticks: 300 })
  assert.equal(parseStat(1, 'garbage'), undefined)
})

test('/proc/<pid>/status and smaps_rollup: resident memory in kB', () => {
  assert.deepEqual(parseStatus('Name:\tjava\nVmHWM:\t  1012480 kB\nVmRSS:\t   900000 kB\n'), { rssKb: 900000, hwmKb: 1012480 })
  assert.deepEqual(parseStatus('Name:\tkthreadd\n'), { rssKb: 0, hwmKb: 0 })
  assert.equal(parsePss('d0000000-7ffc [rollup]\nRss:   1012480 kB\nPss:   1000726 kB\n'), 1000726)
  assert.equal(parsePss(''), undefined)
})

test('/proc/stat: idle and iowait are not busy', () => {
  assert.deepEqual(parseMachineStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n'), { busy: 150, total: 1000 })
})

test('a process tree is the process and everything below it', () => {
  const table = new Map([
    [1, { pid: 1, ppid: 0, comm: 'init', ticks: 0 }],
    [10, { pid: 10, ppid: 1, comm: 'node', ticks: 5 }],
    [11, { pid: 11, ppid: 10, comm: 'postgres', ticks: 7 }],
    [12, { pid: 12, ppid: 11, comm: 'postgres', ticks: 3 }],
    [20, { pid: 20, ppid: 1, comm: 'java', ticks: 9 }]
  ])
  assert.deepEqual(processTree(10, table).map(p => p.pid).sort(), [10, 11, 12])
  assert.deepEqual(processTree(99, table), [])
})

test('CPU between two snapshots, in cores, with what the watched processes do not explain', () => {
  const hz = clockTicks()
  const a: CpuSnapshot = { at: 0, machine: { busy: 0, total: 0 }, ticks: new Map([['kafka', 0], ['gone', 5]]) }
  const b: CpuSnapshot = { at: 2000, machine: { busy: 300, total: 400 }, ticks: new Map([['kafka', hz], ['late', 50]]) }
  const use = cpuBetween(a, b, 2)
  assert.equal(use.seconds, 2)
  assert.equal(use.cores.kafka, 0.5)
  assert.equal(use.cores.late, undefined, 'a process that started in between has no start figure')
  assert.equal(use.machineBusyShare, 0.75)
  assert.equal(use.machineCores, 1.5)
  assert.equal(use.otherCores, 1)
})

test('this process is in the live process table', () => {
  const me = processTable().get(process.pid)
  assert.ok(me && me.ticks >= 0 && me.ppid > 0)
})
