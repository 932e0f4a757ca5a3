// Webhook signature verifiers through webhookHandler on a real socket, with signatures computed
// the way each sender documents it: GitHub (X-Hub-Signature-256, including the example in
// GitHub's "Validating webhook deliveries"), Stripe (Stripe-Signature t=…,v1=… over
// "<t>.<body>"), plain HMAC in hex or base64, and an app's own verifier.
import { createHmac } from 'node:crypto'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ServerError } from '../server-error'
import { githubSignature, hmacSignature, stripeSignature, type WebhookVerifier } from './signatures'
import type { SourceEvent } from './types'
import { type WebhookHandlerOptions, webhookHandler } from './webhook-handler'

let server: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

async function start(verify: WebhookVerifier, extra: Partial<WebhookHandlerOptions> = {}) {
  const published: Array<[string, SourceEvent]> = []
  const handler = webhookHandler({
    verify,
    server: {
      publish: async (topic, event) => {
        published.push([topic, event])
      },
    },
    toEvents: (body) => [{ topic: 'hooks', event: { kind: 'created', data: body as never } }],
    ...extra,
  })
  server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const send = (body: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/hooks', headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        )
      })
      req.on('error', reject)
      req.end(body)
    })
  return { send, published }
}

const unauthorized = (message: string) => ({
  status: 401,
  body: { type: 'error', code: 'UNAUTHORIZED', message },
})
const hmac = (algorithm: string, secret: string, payload: string, encoding: 'hex' | 'base64' = 'hex') =>
  createHmac(algorithm, secret).update(payload).digest(encoding)

const BODY = JSON.stringify({ id: 'evt_1', type: 'invoice.paid' })

describe('githubSignature', () => {
  const secret = "It's a Secret to Everybody"

  it("accepts GitHub's documented example and a JSON delivery signed the same way", async () => {
    const { send, published } = await start(githubSignature({ secret }))
    // docs.github.com: this secret and payload give exactly this header. The payload is not
    // JSON, so a verified delivery gets to the parser's 400, never the verifier's 401.
    const example = await send('Hello, World!', {
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    })
    expect(example).toEqual({
      status: 400,
      body: { type: 'error', code: 'BAD_REQUEST', message: 'the body is not valid JSON' },
    })
    const delivery = await send(BODY, { 'x-hub-signature-256': `sha256=${hmac('sha256', secret, BODY)}` })
    expect(delivery).toEqual({ status: 200, body: { published: 1 } })
    expect(published).toHaveLength(1)
  })

  it.each([
    ['no header', {}, 'the x-hub-signature-256 header is missing'],
    [
      'a bare digest',
      { 'x-hub-signature-256': hmac('sha256', secret, BODY) },
      'x-hub-signature-256 must be sha256= and 64 hex digits',
    ],
    [
      'the SHA-1 header only',
      { 'x-hub-signature': `sha1=${hmac('sha1', secret, BODY)}` },
      'the x-hub-signature-256 header is missing',
    ],
    [
      'another secret',
      { 'x-hub-signature-256': `sha256=${hmac('sha256', 'not the secret', BODY)}` },
      'x-hub-signature-256: the signature does not match the body',
    ],
  ])('refuses %s with 401 and publishes nothing', async (_case, headers, message) => {
    const { send, published } = await start(githubSignature({ secret }))
    expect(await send(BODY, headers)).toEqual(unauthorized(message))
    expect(published).toEqual([])
  })

  it('accepts any of several secrets while one is rotated', async () => {
    const { send } = await start(githubSignature({ secret: ['new secret', secret] }))
    const res = await send(BODY, { 'x-hub-signature-256': `sha256=${hmac('sha256', secret, BODY)}` })
    expect(res.status).toBe(200)
  })
})

describe('stripeSignature', () => {
  const secret = 'whsec_test_5f2b1c0e9d8a7b6c'
  const now = 1_900_000_000_000
  /** A header as Stripe builds it: HMAC-SHA256 of "<t>.<body>" under the endpoint secret, hex, as v1. */
  const stripeHeader = (t: number, body: string, key = secret, extra = '') =>
    `t=${t},v1=${hmac('sha256', key, `${t}.${body}`)}${extra}`
  const t = now / 1000
  const verify = () => stripeSignature({ secret, now: () => now })

  it('accepts a delivery signed like Stripe signs it, with a v0 and a second v1 beside the good one', async () => {
    const { send, published } = await start(verify())
    const good = hmac('sha256', secret, `${t}.${BODY}`)
    const older = hmac('sha256', 'an older secret', `${t}.${BODY}`)
    const header = `t=${t},v1=${older},v1=${good},v0=${hmac('sha256', secret, BODY)}`
    expect(await send(BODY, { 'stripe-signature': header })).toEqual({ status: 200, body: { published: 1 } })
    expect(published).toEqual([['hooks', { kind: 'created', data: { id: 'evt_1', type: 'invoice.paid' } }]])
  })

  it('accepts a timestamp exactly at the tolerance, either way', async () => {
    const { send } = await start(verify())
    expect((await send(BODY, { 'stripe-signature': stripeHeader(t - 300, BODY) })).status).toBe(200)
    expect((await send(BODY, { 'stripe-signature': stripeHeader(t + 300, BODY) })).status).toBe(200)
  })

  it.each([
    ['no header', () => ({}), 'the stripe-signature header is missing'],
    [
      'no timestamp',
      () => ({ 'stripe-signature': `v1=${hmac('sha256', secret, `${t}.${BODY}`)}` }),
      'stripe-signature has no timestamp t=<unix seconds>',
    ],
    [
      'a v0 signature only',
      () => ({ 'stripe-signature': `t=${t},v0=${hmac('sha256', secret, BODY)}` }),
      'stripe-signature has no v1 signature of 64 hex digits',
    ],
    [
      'a replayed old delivery',
      () => ({ 'stripe-signature': stripeHeader(t - 301, BODY) }),
      'stripe-signature: the timestamp is 301 s from now, more than the tolerance of 300 s',
    ],
    [
      'another secret',
      () => ({ 'stripe-signature': stripeHeader(t, BODY, 'whsec_other') }),
      'stripe-signature: no v1 signature matches the body',
    ],
    [
      'a signature of another body',
      () => ({ 'stripe-signature': stripeHeader(t, `${BODY} `) }),
      'stripe-signature: no v1 signature matches the body',
    ],
    [
      'a signed timestamp changed in the header',
      () => ({ 'stripe-signature': stripeHeader(t, BODY).replace(`t=${t}`, `t=${t + 1}`) }),
      'stripe-signature: no v1 signature matches the body',
    ],
  ])('refuses %s with 401 and publishes nothing', async (_case, headers, message) => {
    const { send, published } = await start(verify())
    expect(await send(BODY, headers())).toEqual(unauthorized(message))
    expect(published).toEqual([])
  })
})

describe('hmacSignature', () => {
  it('verifies base64 digests in a header of choice (as Shopify sends them) and hex with sha512', async () => {
    const base64 = await start(
      hmacSignature({ secret: 'shpss', header: 'X-Shopify-Hmac-Sha256', encoding: 'base64' }),
    )
    expect(
      await base64.send(BODY, { 'x-shopify-hmac-sha256': hmac('sha256', 'shpss', BODY, 'base64') }),
    ).toEqual({
      status: 200,
      body: { published: 1 },
    })
    expect(await base64.send(BODY, { 'x-shopify-hmac-sha256': hmac('sha256', 'shpss', BODY) })).toEqual(
      unauthorized(
        'x-shopify-hmac-sha256 must be the base64 of 32 bytes (HMAC-SHA256), optionally after sha256=',
      ),
    )
    expect(
      await base64.send(BODY, { 'x-shopify-hmac-sha256': hmac('sha256', 'other', BODY, 'base64') }),
    ).toEqual(unauthorized('x-shopify-hmac-sha256: the signature does not match the body'))
    await new Promise((resolve) => server?.close(resolve))
    const hex = await start(hmacSignature({ secret: 's', header: 'x-sig', algorithm: 'sha512' }))
    expect((await hex.send(BODY, { 'x-sig': `sha512=${hmac('sha512', 's', BODY)}` })).status).toBe(200)
  })
})

describe('a custom verifier', () => {
  it('refuses on false, answers a ServerError with its code, and 500 for anything else', async () => {
    const errors: unknown[] = []
    const { send, published } = await start(
      async ({ headers, body }) => {
        if (headers['x-token'] === 'boom') throw new Error('the key store is down')
        if (headers['x-token'] === 'blocked') throw new ServerError('FORBIDDEN', 'this sender is blocked')
        return headers['x-token'] === `ok-${body.length}`
      },
      { onError: (error) => errors.push((error as Error).message) },
    )
    expect(await send(BODY, { 'x-token': `ok-${BODY.length}` })).toEqual({
      status: 200,
      body: { published: 1 },
    })
    expect(await send(BODY, { 'x-token': 'nope' })).toEqual(
      unauthorized('the webhook verifier refused the request'),
    )
    expect(await send(BODY, { 'x-token': 'blocked' })).toEqual({
      status: 403,
      body: { type: 'error', code: 'FORBIDDEN', message: 'this sender is blocked' },
    })
    expect(await send(BODY, { 'x-token': 'boom' })).toEqual({
      status: 500,
      body: { type: 'error', code: 'INTERNAL', message: 'the webhook could not be processed' },
    })
    expect(errors).toEqual(['the key store is down'])
    expect(published).toHaveLength(1)
  })

  it('needs exactly one of verify and secret, and no empty secret', () => {
    const base = { server: { publish: async () => null }, toEvents: () => [] }
    expect(() => webhookHandler(base)).toThrow(
      'webhookHandler: give `verify` (stripeSignature, githubSignature…) or `secret`, exactly one',
    )
    expect(() => webhookHandler({ ...base, secret: 's', verify: () => true })).toThrow('exactly one')
    expect(() => stripeSignature({ secret: [] })).toThrow('stripeSignature: `secret` is empty')
    expect(() => githubSignature({ secret: '' })).toThrow('githubSignature: `secret` is empty')
  })
})
