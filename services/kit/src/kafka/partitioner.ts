// Which partition a keyed record goes to. librdkafka's default partitioner (consistent_random) takes
// the CRC-32 of the key; Kafka's Java clients (the console tools, Flink, Connect) take murmur2. With
// two hashes in one system the same key lands on different partitions depending on who wrote it, and
// a consumer no longer sees one key's records in order. Every producer of ours sets PARTITIONER.

/** librdkafka's Java-compatible partitioner: murmur2 of the key; a record without a key goes to a random partition. */
export const PARTITIONER = 'murmur2_random'

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): a signed 32-bit hash of the bytes. */
export function murmur2 (data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The last 1-3 bytes (Java's switch falls through).
  switch (length & 3) {
    case 3: h ^= data[whole + 2]! << 16 // falls through
    case 2: h ^= data[whole + 1]! << 8 // falls through
    case 1:
      h ^= data[whole]!
      h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition a producer with PARTITIONER (or a Java client) puts `key` on: murmur2 made positive, modulo the partitions. */
export function partitionOf (key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key
  return (murmur2(bytes) & 0x7fffffff) % partitions
}
