import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { doorRules, hostAllowed, originAllowed } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    io: Server
  }
}

/**
 * socket.io on the app's HTTP server (path /socket.io). Browsers' connections are closed before
 * the server closes (preClose), so close() never waits on an open WebSocket. They are closed at
 * the transport, not with a server-side disconnect(), which a client takes as "do not come back":
 * a restarted gateway gets its browsers back by themselves.
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const rules = doorRules(config)
  const io: Server = new Server(fastify.server, {
    serveClient: false,
    // The web app proxies /socket.io from its own origin; a page of an allowed origin (vite's dev server) may connect directly.
    cors: { origin: rules.origins.includes('*') ? true : rules.origins },
    // The feed is the instructor's browser's: a page of another site (its WebSocket carries that site's Origin,
    // and CORS does not guard WebSockets) or a rebound DNS name (Host) is refused, as is one browser too many.
    allowRequest: (req, callback) => {
      const { host, origin } = req.headers
      const refused = !hostAllowed(host, rules)
        ? 'host not allowed'
        : !originAllowed(origin, host, rules)
            ? 'origin not allowed'
            : io.engine.clientsCount >= config.SOCKET_MAX_CONNECTIONS ? 'too many connections' : undefined
      if (refused !== undefined) fastify.log.warn({ host, origin, clients: io.engine.clientsCount }, `socket.io connection refused: ${refused}`)
      callback(refused ?? null, refused === undefined)
    },
    // Browsers only listen: a big or frequent message is not one of ours.
    maxHttpBufferSize: config.SOCKET_MAX_BUFFER_BYTES,
    transports: ['websocket', 'polling'],
    pingInterval: 10_000,
    pingTimeout: 8_000,
    perMessageDeflate: false
  })
  fastify.decorate('io', io)
  io.on('connection', socket => {
    let windowStart = Date.now()
    let count = 0
    socket.use((_packet, next) => {
      const now = Date.now()
      if (now - windowStart >= 1000) { windowStart = now; count = 0 }
      if (++count > config.SOCKET_MAX_MESSAGES_PER_SECOND) {
        fastify.log.warn({ id: socket.id }, 'socket.io connection closed: too many messages')
        socket.disconnect(true)
        return
      }
      next()
    })
  })
  fastify.addHook('preClose', (done) => {
    io.engine.close()
    done()
  })
  fastify.addHook('onClose', async () => {
    await new Promise<void>(resolve => { io.close(() => resolve()) })
  })
}, { name: 'gateway-socket' })
