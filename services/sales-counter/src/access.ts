import type { AccessPolicy } from '@vitrine/service-kit'

/**
 * Who may call the sales-counter's routes with HTTP_AUTH=jwt: anyone reads the totals, the records
 * and its health; the mode, the crash point and the zombie drill are the instructor's (the gateway's
 * Exactly-once page forwards them with its own token after checking the caller). Unlisted: the instructor's.
 */
export const SALES_COUNTER_ACCESS: AccessPolicy = {
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /counter': 'public',
  'GET /counter/records': 'public',
  'PUT /counter/mode': 'instructor',
  'POST /counter/crash-point': 'instructor',
  'POST /counter/zombie': 'instructor'
}
