import type { AccessPolicy } from '@vitrine/service-kit'

/** Who may call inventory's routes with HTTP_AUTH=jwt (the kit's own are in KIT_ACCESS): anyone reads the catalog and the stock; creating products, prices, activation and restock are the instructor's. Unlisted routes are the instructor's. */
export const INVENTORY_ACCESS: AccessPolicy = {
  'GET /products': 'public',
  'GET /products/:id': 'public',
  'GET /stock/check': 'public',
  'POST /products': 'instructor',
  'PUT /products/:id/price': 'instructor',
  'PUT /products/:id/active': 'instructor',
  'POST /products/:id/restock': 'instructor',
  'GET /reservations/:orderId': 'instructor'
}
