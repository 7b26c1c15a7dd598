import fp from 'fastify-plugin'
import { Server } from 'socket.io'

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
export default fp(async (fastify) => {
  const io = new Server(fastify.server, {
    serveClient: false,
    // The web app is served from another port in development (vite) and proxies /socket.io; this allows a direct connection too.
    cors: { origin: true },
    transports: ['websocket', 'polling'],
    pingInterval: 10_000,
    pingTimeout: 8_000,
    perMessageDeflate: false
  })
  fastify.decorate('io', io)
  fastify.addHook('preClose', (done) => {
    io.engine.close()
    done()
  })
  fastify.addHook('onClose', async () => {
    await new Promise<void>(resolve => { io.close(() => resolve()) })
  })
}, { name: 'gateway-socket' })
