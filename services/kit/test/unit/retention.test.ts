import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DLQ_TOPIC, RETRY_TIERS, TOPICS } from '@vitrine/contracts'

// A record handed to a retry tier is committed away from its source topic: the tier's copy is the
// only one left until it is retried, so the tier must keep it at least as long as the DLQ would.

function retentionMs (name: string): number {
  const spec = TOPICS.find(t => t.name === name)
  return Number((spec?.config as Record<string, string> | undefined)?.['retention.ms'])
}

test('every retry tier keeps records at least as long as the DLQ', () => {
  const dlq = retentionMs(DLQ_TOPIC)
  assert.ok(Number.isFinite(dlq) && dlq > 0, 'the DLQ has a retention')
  for (const tier of RETRY_TIERS) {
    assert.ok(retentionMs(tier.topic) >= dlq, `${tier.topic} keeps ${retentionMs(tier.topic)} ms, the DLQ ${dlq} ms`)
  }
})

test('every retry tier keeps records at least as long as the topics whose records it retries', () => {
  const sources = TOPICS.filter(t => t.kind !== 'retry' && t.kind !== 'dead-letter').map(t => retentionMs(t.name)).filter(Number.isFinite)
  for (const tier of RETRY_TIERS) assert.ok(retentionMs(tier.topic) >= Math.max(...sources), `${tier.topic} outlives no source topic`)
})
