import type { AccessPolicy } from '@vitrine/service-kit'

/** Who may call orchestrator's routes with HTTP_AUTH=jwt (the kit's own are in KIT_ACCESS): a customer reads the saga of its own order (routes/sagas.ts); the list of every saga is the instructor's. Unlisted routes are the instructor's. */
export const ORCHESTRATOR_ACCESS: AccessPolicy = {
  'GET /sagas/:orderId': 'customer',
  'GET /sagas': 'instructor'
}
