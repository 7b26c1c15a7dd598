import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { KafkaCeiling } from '../../../src/bench/kafka-ceiling.ts'
import { BenchToolError, formatCeilingTable, parseConsumerPerformance, parseEndToEndLatency, parseProducerPerformance } from '../../../src/bench/kafka-ceiling.ts'

// Outputs captured from Kafka 4.1.1's tools on the dev stack.
const PRODUCER = `62312 records sent, 12462.4 records/sec (3.57 MB/sec), 1120.3 ms avg latency, 1530.0 ms max latency.
20000 records sent, 15735.6 records/sec (4.50 MB/sec), 123.55 ms avg latency, 679.00 ms max latency, 152 ms 50th, 169 ms 95th, 178 ms 99th, 183 ms 99.9th.
`
const CONSUMER = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-29 07:25:09:871, 2026-11-29 07:25:12:488, 5.7220, 2.1865, 20000, 7642.3386, 1710, 907, 6.3088, 22050.7166
`
const LATENCY = `0\t335.955589
Avg latency: 17.3408 ms
Percentiles: 50th = 8, 99th = 335, 99.9th = 335
`

test('ProducerPerformance: the summary line, not the periodic ones', () => {
  assert.deepEqual(parseProducerPerformance(PRODUCER), {
    records: 20000, recordsPerSec: 15735.6, mbPerSec: 4.5, avgLatencyMs: 123.55, maxLatencyMs: 679, p50Ms: 152, p95Ms: 169, p99Ms: 178, p999Ms: 183
  })
})

test('ConsumerPerformance: figures taken by their header names', () => {
  assert.deepEqual(parseConsumerPerformance(CONSUMER), {
    records: 20000, recordsPerSec: 7642.3386, mbPerSec: 2.1865, rebalanceMs: 1710, fetchMs: 907, fetchRecordsPerSec: 22050.7166
  })
})

test('EndToEndLatency: average and percentiles', () => {
  assert.deepEqual(parseEndToEndLatency(LATENCY, 50), { messages: 50, avgMs: 17.3408, p50Ms: 8, p99Ms: 335, p999Ms: 335 })
})

test('output without the expected figures is an error that shows the output, never a NaN', () => {
  assert.throws(() => parseProducerPerformance('62312 records sent, 12462.4 records/sec (3.57 MB/sec), 1120.3 ms avg latency, 1530.0 ms max latency.\n'), (err: unknown) => err instanceof BenchToolError && /records sent/.test(err.message) && /1530/.test(err.message))
  assert.throws(() => parseConsumerPerformance('WARN something\n'), BenchToolError)
  assert.throws(() => parseEndToEndLatency('Avg latency: 1.0 ms\n', 10), /p50/)
})

test('the table names the conditions and each figure', () => {
  const c: KafkaCeiling = {
    bootstrap: 'localhost:9092',
    topics: ['bench.ceiling-x', 'bench.latency-x'],
    partitions: 3,
    replicationFactor: 1,
    recordSize: 300,
    lingerMs: 5,
    acks: 'all',
    idempotence: true,
    producer: parseProducerPerformance(PRODUCER),
    consumer: parseConsumerPerformance(CONSUMER),
    endToEnd: parseEndToEndLatency(LATENCY, 50)
  }
  const table = formatCeilingTable(c)
  assert.match(table, /300 bytes, acks=all, idempotência ligada, linger\.ms=5, 3 partições/)
  assert.match(table, /ProducerPerformance\)\s+15\.736 registros\/s · 4,50 MB\/s · latência p50 152 ms, p99 178 ms/)
  assert.match(table, /ConsumerPerformance\)\s+22\.051 registros\/s na leitura/)
  assert.match(table, /EndToEndLatency\)\s+p50 8 ms · p99 335 ms · média 17,34 ms \(50 mensagens\)/)
  assert.match(formatCeilingTable({ ...c, endToEnd: { ...c.endToEnd, p50Ms: 0 } }), /p50 < 1 ms/)
})
