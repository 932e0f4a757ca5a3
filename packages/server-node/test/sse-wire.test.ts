// The SSE stream's bytes on the wire, read from a raw TCP socket: an HTTP/1.1 stream is a
// valid chunked body whatever path wrote each chunk, and an HTTP/1.0 stream is plain text.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createSluiceServer, type SluiceServer } from '../src/index'
import { createTestServer, type TestServer } from '../src/testing'

let t: TestServer | undefined
let socket: Socket | undefined
let embedded: { http: Server; sluice: SluiceServer } | undefined

afterEach(async () => {
  socket?.destroy()
  await t?.close()
  t = undefined
  if (embedded) {
    await embedded.sluice.close({ retryAfterMs: 0 })
    await new Promise((resolve) => embedded?.http.close(resolve))
    embedded = undefined
  }
})

const SUBSCRIPTIONS = Buffer.from(JSON.stringify([{ topic: 'room' }])).toString('base64url')

/** Opens `GET /realtime/sse` over a raw socket; `received()` is everything read so far. */
async function rawStream(port: number, version: '1.0' | '1.1'): Promise<{ received: () => Buffer }> {
  const chunks: Buffer[] = []
  socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket?.once('connect', resolve))
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.write(
    `GET /realtime/sse?v=1&subscriptions=${SUBSCRIPTIONS} HTTP/${version}\r\nHost: 127.0.0.1\r\n\r\n`,
  )
  return { received: () => Buffer.concat(chunks) }
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Splits a chunked body strictly: every size line must match its data and end with CRLF. */
function dechunk(body: Buffer): { chunks: string[]; rest: Buffer } {
  const chunks: string[] = []
  let offset = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset)
    if (lineEnd < 0) break
    const size = Number.parseInt(body.toString('latin1', offset, lineEnd), 16)
    if (!Number.isInteger(size)) throw new Error(`bad chunk size at ${offset}`)
    const start = lineEnd + 2
    if (body.length < start + size + 2) break
    if (body.toString('latin1', start + size, start + size + 2) !== '\r\n')
      throw new Error('chunk not CRLF-terminated')
    chunks.push(body.toString('utf8', start, start + size))
    offset = start + size + 2
  }
  return { chunks, rest: body.subarray(offset) }
}

function splitResponse(raw: Buffer): { head: string; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n')
  return { head: raw.toString('latin1', 0, end), body: raw.subarray(end + 4) }
}

describe('SSE stream on the wire', () => {
  it('is a valid chunked body over HTTP/1.1: text frames, shared events and heartbeats interleaved in order', async () => {
    t = await createTestServer({ heartbeatMs: 40 })
    const stream = await rawStream(t.port, '1.1')
    await until(() => stream.received().includes('event: subscribed'))
    for (let i = 1; i <= 3; i++) await t.server.publish('room', { kind: 'created', key: `k${i}` })
    await until(() => stream.received().includes(': ping'))
    await t.server.publish('room', { kind: 'created', key: 'k4' })
    await until(() => stream.received().includes('"key":"k4"'))

    const { head, body } = splitResponse(stream.received())
    expect(head).toMatch(/^HTTP\/1\.1 200 /)
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked')
    const { chunks, rest } = dechunk(body)
    expect(rest.length).toBe(0)
    const text = chunks.join('')
    const events = [...text.matchAll(/^id: (.+)\ndata: (\{"type":"event".+)\n\n/gm)].map((m) => [
      m[1]?.split(':')[1],
      JSON.parse(m[2] as string).key,
    ])
    expect(events).toEqual([
      ['1', 'k1'],
      ['2', 'k2'],
      ['3', 'k3'],
      ['4', 'k4'],
    ])
    expect(text.indexOf('event: welcome')).toBeLessThan(text.indexOf('event: subscribed'))
    expect(text.indexOf('event: subscribed')).toBeLessThan(text.indexOf('"key":"k1"'))
    expect(text.indexOf(': ping')).toBeLessThan(text.indexOf('"key":"k4"'))
  })

  it('is plain text, unchunked, over HTTP/1.0', async () => {
    t = await createTestServer()
    const stream = await rawStream(t.port, '1.0')
    await until(() => stream.received().includes('event: subscribed'))
    await t.server.publish('room', { kind: 'created', key: 'k1' })
    await until(() => stream.received().includes('"key":"k1"'))
    const { head, body } = splitResponse(stream.received())
    expect(head.toLowerCase()).not.toContain('transfer-encoding')
    expect(body.toString('utf8')).toMatch(/^retry: \d+\nevent: welcome\n/)
    expect(body.toString('utf8')).toMatch(/\nid: [^:\n]+:1\ndata: \{"type":"event".*"key":"k1".*\}\n\n$/)
  })

  it('sends every byte through res.write when a middleware wrapped it (e.g. compression)', async () => {
    const sluice = createSluiceServer({ logger: false })
    const seen: string[] = []
    const http = createServer((req, res) => {
      const write = res.write.bind(res) as (chunk: string | Buffer) => boolean
      // What a compression middleware does: every body byte must pass through its write.
      res.write = ((chunk: string | Buffer) => {
        seen.push(chunk.toString())
        return write(chunk)
      }) as typeof res.write
      sluice.handler(req, res)
    })
    embedded = { http, sluice }
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const stream = await rawStream((http.address() as AddressInfo).port, '1.1')
    await until(() => stream.received().includes('event: subscribed'))
    await sluice.publish('room', { kind: 'created', key: 'k1' })
    await until(() => stream.received().includes('"key":"k1"'))
    const event = seen.find((text) => text.includes('"key":"k1"'))
    expect(event).toMatch(/^id: [^:\n]+:1\ndata: \{"type":"event".*\}\n\n$/)
  })
})
