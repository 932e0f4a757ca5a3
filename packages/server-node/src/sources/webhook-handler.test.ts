import { createHmac } from 'node:crypto'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ServerError } from '../server-error'
import type { PublishTarget, SourceEvent } from './types'
import { type WebhookHandlerOptions, webhookHandler } from './webhook-handler'

const SECRET = 'whsec_test'

function sign(body: string | Buffer, secret = SECRET, algorithm = 'sha256') {
  return createHmac(algorithm, secret).update(body).digest('hex')
}

let server: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

async function start(options: Partial<WebhookHandlerOptions> = {}) {
  const published: Array<[string, SourceEvent]> = []
  const target: PublishTarget = {
    publish: async (topic, event) => {
      published.push([topic, event])
    },
  }
  const handler = webhookHandler({
    secret: SECRET,
    server: target,
    toEvents: (body) => {
      const { id, title } = body as { id: string; title: string }
      return [
        { topic: 'posts', event: { kind: 'updated', key: id, data: { title } } },
        { topic: `posts:${id}`, event: { kind: 'set', data: { title } } },
      ]
    },
    ...options,
  })
  server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return { published, port }
}

function send(port: number, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST') {
  return new Promise<{ status: number; body: unknown; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: '/hooks', headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? '' : JSON.parse(text),
            headers: res.headers,
          })
        })
      })
      req.on('error', reject)
      req.end(body)
    },
  )
}

const BODY = JSON.stringify({ id: '42', title: 'Hello' })

describe('webhookHandler', () => {
  it('publishes the events of a correctly signed body, in order', async () => {
    const { port, published } = await start()
    const res = await send(port, BODY, { 'x-signature': sign(BODY) })
    expect(res).toMatchObject({ status: 200, body: { published: 2 } })
    expect(published).toEqual([
      ['posts', { kind: 'updated', key: '42', data: { title: 'Hello' } }],
      ['posts:42', { kind: 'set', data: { title: 'Hello' } }],
    ])
  })

  it('accepts a prefixed signature in a custom header with another algorithm', async () => {
    const { port, published } = await start({ header: 'X-Hub-Signature', algorithm: 'sha512' })
    const res = await send(port, BODY, { 'x-hub-signature': `sha512=${sign(BODY, SECRET, 'sha512')}` })
    expect(res.status).toBe(200)
    expect(published).toHaveLength(2)
  })

  it.each([
    ['a missing signature', {}, 'the x-signature header is missing'],
    [
      'a signature by another secret',
      { 'x-signature': sign(BODY, 'other') },
      'x-signature: the signature does not match the body',
    ],
    [
      'a signature of another body',
      { 'x-signature': sign(`${BODY} `) },
      'x-signature: the signature does not match the body',
    ],
    [
      'a truncated signature',
      { 'x-signature': sign(BODY).slice(0, 40) },
      'x-signature must be 64 hex digits (HMAC-SHA256), optionally after sha256=',
    ],
    [
      'a signature that is not hex',
      { 'x-signature': 'z'.repeat(64) },
      'x-signature must be 64 hex digits (HMAC-SHA256), optionally after sha256=',
    ],
    [
      'a signature for another algorithm',
      { 'x-signature': sign(BODY, SECRET, 'sha1') },
      'x-signature must be 64 hex digits (HMAC-SHA256), optionally after sha256=',
    ],
    [
      'a signature with the prefix of another algorithm',
      { 'x-signature': `sha512=${sign(BODY)}` },
      'x-signature must be 64 hex digits (HMAC-SHA256), optionally after sha256=',
    ],
  ])('answers 401 to %s and publishes nothing', async (_name, headers, message) => {
    const { port, published } = await start()
    const res = await send(port, BODY, headers)
    expect(res).toMatchObject({ status: 401, body: { type: 'error', code: 'UNAUTHORIZED', message } })
    expect(published).toEqual([])
  })

  it('answers 400 to a signed body that is not JSON', async () => {
    const { port, published } = await start()
    const res = await send(port, '{nope', { 'x-signature': sign('{nope') })
    expect(res).toMatchObject({
      status: 400,
      body: { type: 'error', code: 'BAD_REQUEST', message: 'the body is not valid JSON' },
    })
    expect(published).toEqual([])
  })

  it('answers 413 to a body over the limit, by content-length or while streaming', async () => {
    const { port, published } = await start({ maxBodyBytes: 64 })
    const big = JSON.stringify({ id: '1', title: 'x'.repeat(100) })
    const declared = await send(port, big, { 'x-signature': sign(big) })
    expect(declared).toMatchObject({
      status: 413,
      body: { type: 'error', code: 'LIMIT_EXCEEDED', message: 'the body is larger than 64 bytes' },
    })
    expect(declared.headers.connection).toBe('close')
    const chunked = await send(port, big, { 'x-signature': sign(big), 'transfer-encoding': 'chunked' })
    expect(chunked).toMatchObject({ status: 413, body: { code: 'LIMIT_EXCEEDED' } })
    expect(published).toEqual([])
  })

  it('answers 405 to other methods', async () => {
    const { port } = await start()
    const res = await send(port, '', {}, 'GET')
    expect(res).toMatchObject({
      status: 405,
      body: { type: 'error', code: 'BAD_REQUEST', message: 'use POST' },
    })
    expect(res.headers.allow).toBe('POST')
  })

  it('answers with the code of a ServerError from toEvents, and INTERNAL for other errors', async () => {
    const unexpected: unknown[] = []
    const { port } = await start({
      onError: (error) => unexpected.push(error),
      toEvents: (body) => {
        if ((body as { id: string }).id === '42') throw new ServerError('FORBIDDEN', 'post 42 is locked')
        throw new Error('secret internals')
      },
    })
    expect(await send(port, BODY, { 'x-signature': sign(BODY) })).toMatchObject({
      status: 403,
      body: { type: 'error', code: 'FORBIDDEN', message: 'post 42 is locked' },
    })
    const other = JSON.stringify({ id: '7' })
    expect(await send(port, other, { 'x-signature': sign(other) })).toMatchObject({
      status: 500,
      body: { type: 'error', code: 'INTERNAL', message: 'the webhook could not be processed' },
    })
    expect(unexpected.map((error) => (error as Error).message)).toEqual(['secret internals'])
  })

  it('refuses an empty secret', () => {
    expect(() =>
      webhookHandler({ secret: '', server: { publish: async () => null }, toEvents: () => [] }),
    ).toThrow('webhookHandler: `secret` is empty')
  })
})
