import assert from 'node:assert/strict'
import { test } from 'node:test'
import Kafka from 'node-rdkafka'
import { kafkaErrorName } from '../../../src/kafka/producer.ts'

// vitrine_produce_errors_total's `code` label: the Kafka name of the error, whichever way librdkafka reports it.

test('a known librdkafka code gives its Kafka name', () => {
  assert.equal(kafkaErrorName({ code: Kafka.CODES.ERRORS.ERR_TOPIC_AUTHORIZATION_FAILED, message: 'whatever' }), 'TOPIC_AUTHORIZATION_FAILED')
  assert.equal(kafkaErrorName({ code: Kafka.CODES.ERRORS.ERR__MSG_TIMED_OUT, message: 'Local: Message timed out' }), 'MSG_TIMED_OUT')
})

test('a delivery report with code -1 is named from librdkafka\'s text, bounded and label-safe', () => {
  assert.equal(kafkaErrorName({ code: -1, message: 'Broker: Topic authorization failed' }), 'TOPIC_AUTHORIZATION_FAILED')
  assert.equal(kafkaErrorName({ message: 'Broker: Not enough in-sync replicas' }), 'NOT_ENOUGH_IN_SYNC_REPLICAS')
  assert.equal(kafkaErrorName({ code: -1, message: '' }), 'UNKNOWN')
  assert.ok(kafkaErrorName({ message: 'x'.repeat(500) }).length <= 60)
})
