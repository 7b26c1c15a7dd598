import type { AccessPolicy } from '@vitrine/service-kit'

/**
 * Who may call checkout-api's routes with HTTP_AUTH=jwt (the kit's own are in KIT_ACCESS): a
 * customer orders in its own name and sees only its own orders (routes/orders.ts narrows by the
 * token's subject); the traffic generator is the instructor's. Unlisted routes are the instructor's.
 */
export const CHECKOUT_ACCESS: AccessPolicy = {
  'POST /orders': 'customer',
  'GET /orders/:id': 'customer',
  'GET /orders': 'customer',
  'GET /catalog': 'public',
  'GET /traffic': 'public',
  'PUT /traffic': 'instructor',
  'DELETE /traffic': 'instructor'
}
