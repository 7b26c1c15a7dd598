import type { Admin } from '@platformatic/kafka'
import { sleep } from '../proc.ts'

// Offsets as `consumer-groups --describe` shows them, per partition: where each partition ends and
// where a group committed. For the checkers of exercises 1 and 3 (and any other that needs them).

/** How many partitions `topic` has, or undefined when it does not exist. */
export async function partitionCount (admin: Admin, topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true })
  return meta.topics.get(topic)?.partitionsCount
}

/** The end offset (high watermark) of every partition of `topic`, by partition. */
export async function endOffsetsOf (admin: Admin, topic: string, partitions: number): Promise<Map<number, number>> {
  const [t] = await admin.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] })
  return new Map((t?.partitions ?? []).map(p => [p.partitionIndex, Number(p.offset)]))
}

/** The offsets `group` committed on `topic`, by partition (a partition it never committed is absent). */
export async function committedOffsets (admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  const [g] = await admin.listConsumerGroupOffsets({ groups: [group] })
  const t = g?.topics.find(t => t.name === topic)
  return new Map((t?.partitions ?? []).filter(p => p.committedOffset >= 0n).map(p => [p.partitionIndex, Number(p.committedOffset)]))
}

/** Deletes `group` if it exists (a group with members cannot be deleted: the error says so). */
export async function deleteGroupIfPresent (admin: Admin, group: string): Promise<void> {
  if ((await admin.listGroups()).has(group)) await admin.deleteGroups({ groups: [group] })
}

/** Waits until the cluster lists `topic` (a topic just recreated takes a moment to show everywhere). */
export async function waitForTopic (admin: Admin, topic: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await admin.listTopics()).includes(topic)) {
    if (Date.now() > deadline) throw new Error(`topic ${topic} was created but is not listed after ${timeoutMs / 1000}s`)
    await sleep(100)
  }
  await admin.metadata({ topics: [topic], forceUpdate: true })
}
