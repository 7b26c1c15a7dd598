import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { readOrderLogs } from '../../lib/order-logs.ts'
import { ErrorBody } from '../../schemas/common.ts'
import { OrderLogs, OrderLogsParams } from '../../schemas/logs.ts'
import { logDir } from '../../config.ts'
import type { GatewayConfigType } from '../../config.ts'

type LogsConfig = Pick<GatewayConfigType, 'LOG_DIR' | 'LOG_TAIL_BYTES' | 'LOG_MAX_LINES'>

/**
 * GET /api/orders/:orderId/logs: what every service logged about one order, merged in time order,
 * read from the log files the supervisor writes (LOG_DIR). No line is a 200 with an empty list.
 */
const routes: FastifyPluginAsyncTypebox<{ config: LogsConfig }> = async (fastify, { config }) => {
  fastify.get('/orders/:orderId/logs', {
    schema: {
      description: 'As linhas de log de todos os serviços sobre um pedido (campo orderId), em ordem de tempo; lidas do fim de cada arquivo de log (LOG_DIR).',
      params: OrderLogsParams,
      response: { 200: OrderLogs, 400: ErrorBody, 500: ErrorBody }
    }
  }, async (request) => {
    const { orderId } = request.params
    const dir = logDir(config)
    const found = await readOrderLogs(dir, orderId, { tailBytes: config.LOG_TAIL_BYTES, maxLines: config.LOG_MAX_LINES })
    const hint = !found.dirExists
      ? `the log folder ${dir} does not exist: the services run elsewhere, or LOG_DIR points elsewhere`
      : found.lines.length === 0 ? `no line of order ${orderId} in the last ${config.LOG_TAIL_BYTES} bytes of each log (or LOG_LEVEL hides them)` : null
    return { orderId, lines: found.lines, truncated: found.truncated, logDir: { path: dir, exists: found.dirExists }, hint }
  })
}

export default routes
