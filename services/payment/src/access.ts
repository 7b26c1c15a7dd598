import type { AccessPolicy } from '@vitrine/service-kit'

/** Who may call payment's routes with HTTP_AUTH=jwt (the kit's own are in KIT_ACCESS): the payments are read by the gateway's comparison (with its service token) and the instructor. Unlisted routes are the instructor's. */
export const PAYMENT_ACCESS: AccessPolicy = {
  'GET /payments/:orderId': 'instructor'
}
