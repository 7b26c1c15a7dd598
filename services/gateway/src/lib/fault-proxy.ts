import net from 'node:net'

// A TCP proxy between one lab producer and the real brokers, for the Produtor lab's idempotence step:
// it forwards every request and every answer unchanged, except that, when armed, it lets a Produce
// request reach the broker (which writes it) and then drops the connection instead of delivering the
// broker's answer. The producer never learns the write happened and sends the batch again: a real
// network fault at the one moment that makes a duplicate, on demand.
//
// The client connects to the broker address it finds in Metadata answers (the advertised listener),
// not to its bootstrap address; so the proxy rewrites, in each Metadata answer, every broker's
// host:port into its own listener for that broker (127.0.0.1:<port>). Nothing else is parsed: the
// Kafka framing (an INT32 size, then the request's api key, version and correlation id) is enough
// to tell which answer belongs to which request.

const PRODUCE = 0
const METADATA = 3
/** Metadata is a "flexible" version (compact strings: an unsigned varint of length + 1) from v9 on. */
const METADATA_FLEXIBLE_FROM = 9
const LOCAL_HOST = '127.0.0.1'

export interface Upstream { nodeId: number, host: string, port: number }

export interface ProxyCounts {
  /** Client connections accepted (a dropped one is followed by the client's reconnection). */
  connections: number
  /** Produce requests forwarded to a broker. */
  produceRequests: number
  /** Produce answers withheld: the broker had written the batch; the client saw its connection drop. */
  droppedResponses: number
}

interface Pending { apiKey: number, apiVersion: number }

/** Cuts a byte stream into whole Kafka frames (INT32 size + that many bytes). */
class Framer {
  private buf: Buffer = Buffer.alloc(0)

  push (chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    const frames: Buffer[] = []
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0)
      if (this.buf.length < 4 + size) break
      frames.push(this.buf.subarray(0, 4 + size))
      this.buf = this.buf.subarray(4 + size)
    }
    return frames
  }
}

function int32 (n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

/**
 * Rewrites every `host` + INT32 `port` of a Metadata answer (a broker entry) into 127.0.0.1 and the
 * proxy's port. The host string's length prefix (INT16, or a compact varint from v9) is rewritten too.
 */
export function rewriteMetadata (frame: Buffer, apiVersion: number, to: ReadonlyMap<string, number>): Buffer {
  const flexible = apiVersion >= METADATA_FLEXIBLE_FROM
  let out = frame
  for (const [address, localPort] of to) {
    const i = address.lastIndexOf(':')
    const host = Buffer.from(address.slice(0, i))
    const needle = Buffer.concat([host, int32(Number(address.slice(i + 1)))])
    const local = Buffer.from(LOCAL_HOST)
    const replacement = Buffer.concat([flexible ? Buffer.from([local.length + 1]) : Buffer.from([0, local.length]), local, int32(localPort)])
    const prefix = flexible ? 1 : 2
    let from = 0
    for (;;) {
      const at = out.indexOf(needle, from)
      if (at < prefix) break
      const lengthOk = flexible ? out[at - 1] === host.length + 1 : out.readInt16BE(at - 2) === host.length
      if (!lengthOk || host.length + 1 > 127) { from = at + 1; continue }
      out = Buffer.concat([out.subarray(0, at - prefix), replacement, out.subarray(at + needle.length)])
      from = at - prefix + replacement.length
    }
  }
  if (out !== frame) out.writeInt32BE(out.length - 4, 0)
  return out
}

export class FaultProxy {
  private readonly servers: net.Server[] = []
  private readonly sockets = new Set<net.Socket>()
  /** Upstream "host:port" → the local port standing for it. */
  private readonly local = new Map<string, number>()
  private dropLeft = 0
  readonly counts: ProxyCounts = { connections: 0, produceRequests: 0, droppedResponses: 0 }

  /** One listener on 127.0.0.1 per broker, on free ports. */
  static async start (upstreams: readonly Upstream[]): Promise<FaultProxy> {
    const p = new FaultProxy()
    try {
      for (const u of upstreams) {
        const server = net.createServer(client => { p.accept(client, u) })
        p.servers.push(server)
        await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, LOCAL_HOST, () => resolve()) })
        p.local.set(`${u.host}:${u.port}`, (server.address() as net.AddressInfo).port)
      }
    } catch (err) {
      await p.close()
      throw err
    }
    return p
  }

  /** The bootstrap list a client uses to go through the proxy. */
  get bootstrap (): string {
    return [...this.local.values()].map(port => `${LOCAL_HOST}:${port}`).join(',')
  }

  /** The next `n` Produce answers are withheld and their connections dropped. */
  dropNextProduceResponses (n: number): void {
    this.dropLeft = n
  }

  private accept (client: net.Socket, u: Upstream): void {
    this.counts.connections++
    const upstream = net.connect(u.port, u.host)
    this.sockets.add(client)
    this.sockets.add(upstream)
    const pending = new Map<number, Pending>()
    const fromClient = new Framer()
    const fromBroker = new Framer()
    const drop = (): void => { client.destroy(); upstream.destroy() }
    client.on('data', chunk => {
      for (const frame of fromClient.push(chunk)) {
        if (frame.length >= 12) {
          const apiKey = frame.readInt16BE(4)
          pending.set(frame.readInt32BE(8), { apiKey, apiVersion: frame.readInt16BE(6) })
          if (apiKey === PRODUCE) this.counts.produceRequests++
        }
        upstream.write(frame)
      }
    })
    upstream.on('data', chunk => {
      for (let frame of fromBroker.push(chunk)) {
        const corr = frame.length >= 8 ? frame.readInt32BE(4) : -1
        const req = pending.get(corr)
        pending.delete(corr)
        if (req?.apiKey === PRODUCE && this.dropLeft > 0) {
          this.dropLeft--
          this.counts.droppedResponses++
          drop()
          return
        }
        if (req?.apiKey === METADATA) frame = rewriteMetadata(frame, req.apiVersion, this.local)
        client.write(frame)
      }
    })
    client.on('error', drop)
    upstream.on('error', drop)
    client.on('close', () => { this.sockets.delete(client); upstream.destroy() })
    upstream.on('close', () => { this.sockets.delete(upstream); client.destroy() })
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    await Promise.all(this.servers.map(async s => await new Promise<void>(resolve => s.close(() => resolve()))))
  }
}
