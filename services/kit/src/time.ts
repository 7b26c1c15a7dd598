// The one sleep and the one backoff curve, for kit, the services, infra and the bench. Also its own
// entry (`@vitrine/service-kit/time`), so infra's CLI gets it without loading the whole kit.

/** Resolves after `ms` milliseconds. */
export async function sleep (ms: number): Promise<void> {
  await new Promise<void>(resolve => setTimeout(resolve, Math.max(0, ms)))
}

export interface Backoff { minMs: number, maxMs: number }

/**
 * How long to wait before try `attempt` (0 for the first retry): `minMs` doubled per attempt, capped
 * at `maxMs`. The exponent is capped too, so a partition blocked for hours never overflows.
 */
export function backoffMs (attempt: number, { minMs, maxMs }: Backoff): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30))
}
