import type { Admin, CreateTopicsOptions } from '@platformatic/kafka'
import { EventProducer } from '@vitrine/service-kit'
import type { Delivered, KafkaSecurity } from '@vitrine/service-kit'
import pino from 'pino'
import { sleep } from '../proc.ts'

// What the setups of exercises 7–9 share: a lab topic made anew (RESET=1 must give the same start)
// and one record written with acks=all (the start mark a checker compares with).

/** Deletes `name` if present and creates it as asked, once the broker has let go of the old one. */
export async function recreateTopic (admin: Admin, name: string, options: Omit<CreateTopicsOptions, 'topics'>): Promise<void> {
  const deadline = Date.now() + 30_000
  if ((await admin.listTopics()).includes(name)) {
    await admin.deleteTopics({ topics: [name] })
    while ((await admin.listTopics()).includes(name) && Date.now() < deadline) await sleep(200)
  }
  for (;;) {
    try {
      await admin.createTopics({ topics: [name], ...options })
      return
    } catch (err) {
      // A topic just deleted may still be going away for a moment (TOPIC_ALREADY_EXISTS).
      if (Date.now() > deadline) throw err
      await sleep(300)
    }
  }
}

/**
 * Writes one record with acks=all (kit's idempotent producer) and closes the producer. `security`:
 * another login than the process's own (a chaos drill's forbidden write goes as `drill`).
 */
export async function produceOne (brokers: string, topic: string, key: string, value: Buffer, security?: KafkaSecurity): Promise<Delivered> {
  const producer = new EventProducer(brokers, 'vitrine-exercise', pino({ level: 'warn' }), undefined, security === undefined ? {} : { security })
  try {
    await producer.connect()
    return await producer.send({ topic, key, value, headers: {} })
  } finally {
    await producer.close().catch(() => {})
  }
}
