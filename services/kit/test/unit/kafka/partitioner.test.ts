import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PARTITIONER, murmur2, partitionOf } from '../../../src/kafka/partitioner.ts'

// Expected values computed by Kafka's own code (kafka-clients 4.1.1, Utils.murmur2 and
// Utils.toPositive(h) % n, the Java producer's keyed partitioning), UTF-8 key bytes.
const JAVA: Array<[key: string, hash: number, p3: number, p7: number, p12: number]> = [
  ['21', -973932308, 0, 3, 0],
  ['foobar', -790332482, 0, 0, 6],
  ['a-little-bit-long-string', -985981536, 2, 1, 8],
  ['a-little-bit-longer-string', -1486304829, 2, 0, 11],
  ['abc', 479470107, 0, 4, 3],
  ['', 275646681, 0, 2, 9],
  ['a', -1563381124, 1, 5, 4],
  ['ab', 316155434, 2, 0, 2],
  ['pedido-1', 211453697, 2, 0, 5],
  ['cliente-42', -2000531535, 2, 0, 5],
  ['ação', 1010978653, 1, 6, 1],
  ['6f1c0b6e-2c55-4d4f-9c1a-1b2c3d4e5f60', 764735126, 2, 1, 2]
]

test('murmur2 equals Kafka\'s Utils.murmur2 for keys of every tail length (0-3 trailing bytes), multi-byte UTF-8 included', () => {
  for (const [key, hash] of JAVA) assert.equal(murmur2(Buffer.from(key)), hash, `murmur2(${JSON.stringify(key)})`)
})

test('partitionOf picks the Java producer\'s partition: murmur2 & 0x7fffffff, modulo the partition count', () => {
  for (const [key, , p3, p7, p12] of JAVA) {
    assert.deepEqual([partitionOf(key, 3), partitionOf(key, 7), partitionOf(key, 12)], [p3, p7, p12], `partitions of ${JSON.stringify(key)}`)
    assert.equal(partitionOf(Buffer.from(key), 7), p7)
  }
  assert.equal(partitionOf('anything', 1), 0)
})

test('the producers\' partitioner is librdkafka\'s Java-compatible one', () => {
  assert.equal(PARTITIONER, 'murmur2_random')
})
