import fp from 'fastify-plugin'
import { connect, migrate } from '../db.ts'
import type { Db, Tx } from '../db.ts'

declare module 'fastify' {
  interface FastifyInstance {
    sql: Db
    dbSchema: string
    /** Runs `fn` in a transaction; after it commits, the outbox relay is told to publish. */
    tx: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>
  }
}

export interface PostgresPluginOptions { schema: string, migrationsDir?: string }

/** The service's postgres.js pool on its own schema, migrated before anything else uses it. */
export default fp<PostgresPluginOptions>(async (fastify, opts) => {
  const schema = opts.schema + fastify.config.DB_SCHEMA_SUFFIX
  const sql = connect(fastify.config.DATABASE_URL, schema, fastify.config.DB_POOL_MAX)
  const applied = await migrate(sql, schema, opts.migrationsDir)
  if (applied.length > 0) fastify.log.info({ schema, applied }, 'migrations applied')
  fastify.decorate('sql', sql)
  fastify.decorate('dbSchema', schema)
  fastify.decorate('tx', async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const result = await sql.begin(fn) as T
    fastify.outbox?.kick()
    return result
  })
  fastify.addHook('onClose', async () => { await sql.end({ timeout: 5 }) })
}, { name: 'vitrine-postgres', dependencies: ['vitrine-config'] })
