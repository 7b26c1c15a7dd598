import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '@vitrine/service-kit'
import { allCatalogEntries } from '../db/catalog.ts'
import { CatalogList } from '../schemas/catalog.ts'

// Compare with inventory's GET /products to watch the replica catch up after a price change.
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/catalog', { schema: { response: { 200: CatalogList, 500: ErrorBody } } }, async () => ({ products: await allCatalogEntries(fastify.sql) }))
}

export default routes
