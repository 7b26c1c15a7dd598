import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { allCatalogEntries } from '../catalog.ts'

// What checkout-api knows of the catalog: its replica of products.catalog, the prices it charges.
// Compare with inventory's GET /products to watch the replica catch up after a price change.
const CatalogEntry = Type.Object({ productId: Type.String(), name: Type.String(), priceCents: Type.Integer(), currency: Type.String(), active: Type.Boolean(), version: Type.Integer() })

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/catalog', { schema: { response: { 200: Type.Object({ products: Type.Array(CatalogEntry) }) } } }, async () => ({ products: await allCatalogEntries(fastify.sql) }))
}

export default routes
