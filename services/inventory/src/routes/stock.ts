import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ledgerMismatches } from '../db/stock.ts'
import { StockCheck } from '../schemas/stock.ts'

// The ledger check a class can run at any time: products must equal what the movements add up to.
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/stock/check', { schema: { response: { 200: StockCheck } } }, async () => {
    const mismatches = await ledgerMismatches(fastify.sql)
    return { consistent: mismatches.length === 0, mismatches }
  })
}

export default routes
