import { ShopError } from '@vitrine/service-kit'
import { CONTROL_HINT } from './control.ts'
import { forward } from './upstream.ts'

// The gateway as a client of the control plane's chaos drills (GET /chaos/scenes, /chaos/drills,
// POST /chaos/drills): its answers relayed with their status, its address kept inside the gateway.

/** Statuses the control plane answers on purpose (its SHOP_ERR_* 4xx pass through unchanged). */
const RELAYED = new Set([200, 202, 400, 404, 409])

export async function chaosCall (baseUrl: string, method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, timeoutMs: number, body?: unknown): Promise<{ status: number, body: unknown }> {
  let answer: { status: number, body: unknown }
  try {
    answer = await forward('control', baseUrl, method, path, { timeoutMs, ...(body !== undefined ? { body } : {}) })
  } catch (err) {
    throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `the control plane is not reachable (${(err as Error).message.replace(/ at \S+/, '')})`, 502, { service: 'control', hint: CONTROL_HINT })
  }
  if (!RELAYED.has(answer.status)) {
    const code = (answer.body as { code?: string } | null)?.code
    throw new ShopError('SHOP_ERR_UPSTREAM', `the control plane answered ${answer.status}${code ? ` ${code}` : ''}`, 502, { service: 'control', hint: CONTROL_HINT })
  }
  return answer
}

/**
 * An action the control plane does as the Kafka admin because the gateway's principal may not (kit's
 * control-actions.ts): relayed like chaosCall, but a control plane that is not there is the 502 every relay answers, whose message
 * says to start it (make demo), since without it the action cannot be done at all.
 */
export async function adminAction (baseUrl: string, path: string, body: unknown, timeoutMs: number, action: string): Promise<{ status: number, body: unknown }> {
  try {
    return await chaosCall(baseUrl, 'POST', path, timeoutMs, body)
  } catch (err) {
    if (err instanceof ShopError && err.code === 'SHOP_ERR_UPSTREAM_UNAVAILABLE') {
      throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `${action} is done by the control plane (as the Kafka admin), which is not reachable: start the shop with make demo`, 502, { service: 'control', hint: CONTROL_HINT })
    }
    throw err
  }
}
