import fp from 'fastify-plugin'
import { publishMissingProducts } from '../../products.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Settles with how many products the start-time check published on products.catalog. */
    catalogCheck: Promise<number>
  }
}

/**
 * At every start, products.catalog is brought up to date with the products table (the seed on a
 * first run). In the background, retried: the service serves stock while the broker catches up.
 */
export default fp(async (fastify) => {
  let catalogTimer: NodeJS.Timeout | undefined
  let closing = false
  let checked!: (published: number) => void
  fastify.decorate('catalogCheck', new Promise<number>(resolve => { checked = resolve }))
  const syncCatalog = (attempt: number): void => {
    publishMissingProducts(fastify, fastify.log).then(checked, err => {
      if (closing) return
      fastify.log.warn({ err, attempt }, 'could not check products.catalog; retrying')
      catalogTimer = setTimeout(() => syncCatalog(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt))
      catalogTimer.unref()
    })
  }
  fastify.addHook('onReady', async () => syncCatalog(1))
  fastify.addHook('onClose', async () => { closing = true; clearTimeout(catalogTimer) })
}, { name: 'inventory-catalog-sync', dependencies: ['vitrine-postgres', 'vitrine-outbox', 'vitrine-registry'] })
