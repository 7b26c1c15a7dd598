import type { FastifyBaseLogger } from 'fastify'

/**
 * The logger every kit class and handler takes: what `fastify.log` is, and what a pino logger is
 * assignable to. Helpers typed with it take `fastify.log`, `request.log` and a handler's `ctx.log`
 * alike, without a cast.
 */
export type Logger = FastifyBaseLogger
