import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ShopError, invalidInput } from '@vitrine/service-kit'
import { SqlGateway, SqlGatewayError, checkReadOnly, kafkaSqlLogin, readerStatements } from '@vitrine/streams'
import { ErrorBody } from '../../schemas/common.ts'
import { KpiSnapshot, SqlBody, SqlResult } from '../../schemas/streams.ts'
import type { GatewayConfigType } from '../../config.ts'

/**
 * The KPI panel's state (also pushed as socket.io `kpis`) and the SQL page: one read-only statement
 * run through Flink's SQL Gateway in a session of its own that knows the source tables of
 * services/streams/sql/tables.sql (orders_new, orders_confirmed, customers, products), bounded in
 * rows and time. A statement that would write or change anything is a 400 naming the rule.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  fastify.get('/streams/kpis', { schema: { response: { 200: KpiSnapshot } } }, async () => fastify.kpis?.snapshot() ?? { windows: [], topProducts: [], live: [], revenueByTier: [], updatedAt: null })

  fastify.post('/streams/sql', {
    schema: { body: SqlBody, response: { 200: SqlResult, 400: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const verdict = checkReadOnly(request.body.statement)
    if (!verdict.ok) throw invalidInput([{ field: 'body.statement', rule: 'read-only', message: verdict.reason! }])
    const gw = new SqlGateway(config.FLINK_SQL_GATEWAY_URL, 10_000)
    const started = Date.now()
    let session: string
    try {
      session = await gw.openSession({}, 'vitrine-sql-page')
    } catch (err) {
      throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `o Flink SQL Gateway não responde (${(err as Error).message}): ele sobe com make demo, e não sobe com LITE=1`, 502, { service: 'flink', url: config.FLINK_SQL_GATEWAY_URL })
    }
    try {
      const prefix = config.TOPIC_PREFIX
      for (const s of readerStatements({
        TOPIC_PREFIX: prefix,
        KAFKA_BROKERS: config.KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: config.SCHEMA_REGISTRY_URL,
        // Flink reads as the gateway (KAFKA_AUTH=scram: its principal, which reads every catalog topic),
        // in a group of the gateway's own, never the jobs'.
        ...kafkaSqlLogin(config.KAFKA_SECURITY_PROTOCOL === 'sasl_plaintext' ? { username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD, mechanism: config.KAFKA_SASL_MECHANISM } : null),
        GROUP_ID: 'gateway-sql-page',
        GROUP_SUFFIX: config.KAFKA_GROUP_SUFFIX,
        CDC_CUSTOMERS_TOPIC: prefix + config.CDC_CUSTOMERS_TOPIC,
        CDC_PRODUCTS_TOPIC: prefix + config.CDC_PRODUCTS_TOPIC,
        CDC_SCHEMA_INCLUDE: 'false'
      })) await gw.run(session, s, { timeoutMs: 30_000 })
      const r = await gw.run(session, request.body.statement.trim().replace(/;\s*$/, ''), {
        maxRows: Math.min(request.body.maxRows ?? config.STREAMS_SQL_MAX_ROWS, config.STREAMS_SQL_MAX_ROWS),
        timeoutMs: Math.min(request.body.timeoutMs ?? config.STREAMS_SQL_TIMEOUT_MS, config.STREAMS_SQL_TIMEOUT_MS)
      })
      return {
        columns: r.columns.map(c => ({ name: c.name, type: c.logicalType?.type ?? null })),
        rows: r.rows.map(row => row.fields),
        kinds: r.rows.map(row => row.kind),
        truncated: r.truncated,
        elapsedMs: Date.now() - started
      }
    } catch (err) {
      // Flink refused the statement (an unknown table, a typo): the student's to fix, with Flink's own words.
      if (err instanceof SqlGatewayError) throw invalidInput([{ field: 'body.statement', rule: 'flink', message: `o Flink recusou a instrução: ${err.message}` }])
      throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `o Flink SQL Gateway parou de responder (${(err as Error).message})`, 502, { service: 'flink' })
    } finally {
      await gw.closeSession(session)
    }
  })
}

export default routes
