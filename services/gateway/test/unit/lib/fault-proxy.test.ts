import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rewriteMetadata } from '../../../src/lib/fault-proxy.ts'

// The proxy's one change to what brokers answer: in a Metadata answer, each broker's advertised
// host:port becomes the proxy's own listener, with the string's length prefix and the frame size fixed.

function int32 (n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const frame = (body: Buffer): Buffer => Buffer.concat([int32(body.length), body])
const to = new Map([['localhost:9092', 40123]])

test('a flexible Metadata answer (v9+): compact host string and port rewritten, frame size fixed', () => {
  // correlation id, header tags, throttle, brokers: [node 1, "localhost", 9092, rack null, tags]
  const broker = Buffer.concat([int32(1), Buffer.from([10]), Buffer.from('localhost'), int32(9092), Buffer.from([0, 0])])
  const body = Buffer.concat([int32(7), Buffer.from([0]), int32(0), Buffer.from([2]), broker, Buffer.from('tail')])
  const out = rewriteMetadata(frame(body), 12, to)
  assert.equal(out.readInt32BE(0), out.length - 4)
  const expected = Buffer.concat([int32(1), Buffer.from([10]), Buffer.from('127.0.0.1'), int32(40123), Buffer.from([0, 0])])
  assert.ok(out.includes(expected), out.toString('hex'))
  assert.ok(out.subarray(-4).equals(Buffer.from('tail')))
  assert.ok(!out.includes(Buffer.from('localhost')))
})

test('an older Metadata answer: INT16 host length; another port of the same host is left alone', () => {
  const b1 = Buffer.concat([int32(1), Buffer.from([0, 9]), Buffer.from('localhost'), int32(9092)])
  const b2 = Buffer.concat([int32(2), Buffer.from([0, 9]), Buffer.from('localhost'), int32(9094)])
  const out = rewriteMetadata(frame(Buffer.concat([int32(7), b1, b2])), 8, to)
  assert.equal(out.readInt32BE(0), out.length - 4)
  assert.ok(out.includes(Buffer.concat([int32(1), Buffer.from([0, 9]), Buffer.from('127.0.0.1'), int32(40123)])))
  assert.ok(out.includes(b2), 'broker 2 is not proxied')
})

test('bytes that look like the address without a matching length prefix are not touched', () => {
  const body = Buffer.concat([int32(7), Buffer.from([3]), Buffer.from('localhost'), int32(9092)])
  const f = frame(body)
  assert.ok(rewriteMetadata(f, 12, to).equals(f))
})
