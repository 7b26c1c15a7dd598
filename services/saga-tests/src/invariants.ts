import { settle as settleShop, violations as shopViolations } from '@vitrine/infra/chaos/invariants'
import type { InvariantTarget } from '@vitrine/infra/chaos/invariants'
import type { Saga } from './harness.ts'

// The saga's invariant check lives in infra (chaos/invariants.ts), so the control plane's drills and
// the fault matrix use the same one; these wrap it for a Saga harness.

/** Where a Saga harness's shop lives, for infra's invariant checks (checkInvariants, shopLag…). */
export function sagaTarget (saga: Saga): InvariantTarget {
  return {
    sql: saga.sql,
    schemaSuffix: saga.env.schemaSuffix,
    brokers: saga.env.brokers,
    topicPrefix: saga.env.prefix,
    groupSuffix: saga.env.groupSuffix,
    registryUrl: saga.env.registryUrl,
    stockCheck: async () => (await saga.request('inventory', 'GET', '/stock/check')).body,
    redeliveriesAllowed: () => saga.interrupted
  }
}

/**
 * The saga's promises, checked across every service's database (and, for events, the topics):
 * every order finished; a confirmed order is paid and its stock sold; a failed order kept no money
 * and no stock; each charge, refund, reservation, release and sale happened at most once; the
 * stock ledger adds up. Returns what is violated (empty when all hold).
 */
export async function violations (saga: Saga, orderIds: string[], opts: { checkTopics?: boolean } = {}): Promise<string[]> {
  return await shopViolations(sagaTarget(saga), orderIds, opts)
}

/** Waits for compensations and sales to settle, then returns the violations left (expect none). */
export async function settle (saga: Saga, orderIds: string[], timeoutMs = 30_000): Promise<string[]> {
  return await settleShop(sagaTarget(saga), orderIds, timeoutMs)
}
