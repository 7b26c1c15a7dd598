import { TopicSerde } from '@vitrine/contracts'
import { readAllNow } from '@vitrine/infra/testing/saga'
import type { ReadRecord } from '@vitrine/infra/testing/saga'
import { orderBody } from './harness.ts'
import type { Saga, ServiceId } from './harness.ts'

// Helpers for the orchestrated-saga suites.

/** Every saga service, the orchestrator included, in the harness's start order. */
export const WITH_ORCHESTRATOR: ServiceId[] = ['inventory', 'payment', 'notification', 'orchestrator', 'checkout-api']

export const orchestrated = (customerId: string, items: Array<{ productId: string, quantity: number }>): Record<string, unknown> => orderBody(customerId, items, { mode: 'orchestration' })

export interface Decoded { rec: ReadRecord, value: Record<string, unknown> }

/** What `topic` holds right now for the given orders, decoded through the registry. */
export async function recordsOf (saga: Saga, topic: string, ids: string[]): Promise<Decoded[]> {
  const serde = new TopicSerde(saga.env.registryUrl, saga.env.prefix)
  const wanted = new Set(ids)
  const out: Decoded[] = []
  for (const rec of await readAllNow(saga.env.brokers, saga.env.prefix + topic)) {
    if (rec.key && wanted.has(rec.key) && rec.value) out.push({ rec, value: await serde.decode(rec.value) as Record<string, unknown> })
  }
  return out
}

/** The value of one sample of a Prometheus metric from a /metrics body (0 when absent). */
export function metricValue (body: string, name: string, labels: Record<string, string>): number {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name + '{')) continue
    const inside = line.slice(name.length + 1, line.lastIndexOf('}'))
    if (Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return 0
}
