import type { AccessPolicy } from '@vitrine/service-kit'

/**
 * Who may call each gateway route with HTTP_AUTH=jwt (issue 16's threat model): students watch
 * everything live (the feed, the console's reads, metrics, the registry) without signing in and
 * place orders as themselves (a customer token; checkout-api and the orchestrator show a customer
 * only its own orders and sagas); the admin surface (topics, traffic, restock, DLQ replay, faults,
 * chaos, labs, reset, compare, the SQL page) is the instructor's. A route not listed here is the
 * instructor's, and the JWT matrix test (test/integration/auth.test.ts) fails naming it until it is listed.
 */
export const GATEWAY_ACCESS: AccessPolicy = {
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /openapi.json': 'public',
  'GET /metrics': 'public',
  // The dev issuer: signing in is open; the instructor's code is checked by the route.
  'POST /api/auth/token': 'public',
  'GET /api/auth': 'public',
  // The live feed and what it shows of an order.
  'GET /api/events/recent': 'public',
  'GET /api/orders/:orderId/events': 'public',
  'GET /api/orders/:orderId/logs': 'public',
  // An order's replay into everyone's live view: anyone sees it, the instructor starts and stops it.
  'POST /api/orders/:orderId/replay': 'instructor',
  'GET /api/replay': 'public',
  'DELETE /api/replay': 'instructor',
  'GET /api/stats': 'public',
  'GET /api/status': 'public',
  'GET /api/catalog': 'public',
  // The console's reads.
  'GET /api/topics': 'public',
  'GET /api/topics/:name': 'public',
  'GET /api/topics/:name/partitions/:partition/messages': 'public',
  'POST /api/topics': 'instructor',
  'DELETE /api/topics/:name': 'instructor',
  'GET /api/groups': 'public',
  'GET /api/groups/:id': 'public',
  // The broker's ACLs (Kafka › ACLs): who may do what is the instructor's to see, like the admin surface.
  'GET /api/acls': 'instructor',
  'GET /api/registry/subjects': 'public',
  'GET /api/registry/subjects/:subject/versions/:version': 'public',
  'GET /api/dlq': 'public',
  'POST /api/dlq/replay': 'instructor',
  'GET /api/metrics/query': 'public',
  'GET /api/metrics/query_range': 'public',
  'GET /api/alerts': 'public',
  // Alertmanager's webhook (it sends no token; it only adds to the alert board everyone reads).
  'POST /api/alerts/webhook': 'public',
  'GET /api/docs/services/:service': 'public',
  // Swagger UI and its files.
  '* /api/docs/*': 'public',
  'GET /api/streams/kpis': 'public',
  'POST /api/streams/sql': 'instructor',
  // The shop: a customer orders as itself and reads its own orders and sagas (the services check whose).
  'GET /api/shop/products': 'public',
  'POST /api/shop/orders': 'customer',
  'GET /api/shop/orders/:id': 'customer',
  'GET /api/shop/sagas/:id': 'customer',
  'GET /api/shop/traffic': 'public',
  'PUT /api/shop/traffic': 'instructor',
  'DELETE /api/shop/traffic': 'instructor',
  // The exercises: anyone reads them; checking one is for a signed-in student.
  'GET /api/exercises': 'public',
  'POST /api/exercises/:n/check': 'customer',
  'GET /api/sales-counter': 'public',
  'GET /api/sales-counter/records': 'public',
  'PUT /api/sales-counter/mode': 'instructor',
  'POST /api/sales-counter/crash-point': 'instructor',
  'POST /api/sales-counter/zombie': 'instructor',
  'GET /api/chaos/scenes': 'public',
  'GET /api/chaos/drills': 'public',
  'GET /api/chaos/drills/:id': 'public',
  'GET /api/chaos/faults': 'public',
  'POST /api/chaos/drills': 'instructor',
  'DELETE /api/chaos/faults': 'instructor',
  'POST /api/compare': 'instructor',
  'POST /api/admin/reset': 'instructor',
  'GET /api/admin/step': 'instructor',
  'POST /api/admin/step': 'instructor',
  'POST /api/admin/step/next': 'instructor',
  // A second copy of a saga service (the Kafka page's rebalance demonstration): anyone sees them, the instructor starts and stops them.
  'GET /api/instances': 'public',
  'POST /api/instances/:service/:action': 'instructor',
  '* /api/lab/*': 'instructor'
}
