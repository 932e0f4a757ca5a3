import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  exportJWK,
  exportSPKI,
  type GenerateKeyPairResult,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthRequest, Identity } from '../identity'
import { ServerError } from '../server-error'
import { createJwtAuthenticator } from './jwt'

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256'

function request(token: string | undefined): AuthRequest {
  return {
    token,
    headers: {},
    url: new URL('http://127.0.0.1/realtime/ws?v=1'),
    transport: 'ws',
    refresh: false,
  }
}

type SigningKey = Parameters<SignJWT['sign']>[0]

async function sign(
  key: SigningKey,
  alg: string,
  claims: JWTPayload = {},
  edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
  kid?: string,
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader(kid ? { alg, kid } : { alg }).setIssuedAt()
  return edit(jwt.setSubject('user-1').setExpirationTime('1h')).sign(key)
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(ServerError)
  const { code, message } = error as ServerError
  return { code, message }
}

async function authenticate(auth: ReturnType<typeof createJwtAuthenticator>, token: string | undefined) {
  return (await auth(request(token))) as Identity | null
}

describe('createJwtAuthenticator with a secret (HS256)', () => {
  const auth = createJwtAuthenticator({ secret: SECRET })
  const key = new TextEncoder().encode(SECRET)

  it('returns the identity of a valid token', async () => {
    const token = await sign(key, 'HS256', { role: 'admin' })
    const identity = await authenticate(auth, token)
    expect(identity?.id).toBe('user-1')
    expect(identity?.claims?.role).toBe('admin')
    const exp = identity?.claims?.exp as number
    expect(identity?.expiresAt).toBe(exp * 1000)
  })

  it('rejects a request without a token', async () => {
    expect(await rejection(authenticate(auth, undefined))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'a token is required',
    })
    expect(await rejection(authenticate(auth, ''))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'a token is required',
    })
  })

  it('treats a missing token as anonymous when optional, but still rejects a bad one', async () => {
    const optional = createJwtAuthenticator({ secret: SECRET, optional: true })
    expect(await authenticate(optional, undefined)).toBeNull()
    expect(await rejection(authenticate(optional, 'not-a-jwt'))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'the token is malformed',
    })
  })

  it('rejects a token signed with another secret', async () => {
    const token = await sign(new TextEncoder().encode('another-secret-of-sufficient-length!!'), 'HS256')
    expect(await rejection(authenticate(auth, token))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's signature does not verify",
    })
  })

  it('answers TOKEN_EXPIRED for an expired token, beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000)
    const expired = await sign(key, 'HS256', {}, (jwt) =>
      jwt.setIssuedAt(now - 120).setExpirationTime(now - 60),
    )
    expect(await rejection(authenticate(auth, expired))).toEqual({
      code: 'TOKEN_EXPIRED',
      message: 'the token has expired',
    })
    const justExpired = await sign(key, 'HS256', {}, (jwt) => jwt.setExpirationTime(now - 2))
    expect((await authenticate(auth, justExpired))?.id).toBe('user-1')
  })

  it('rejects a token that is not valid yet', async () => {
    const token = await sign(key, 'HS256', {}, (jwt) => jwt.setNotBefore('10 min'))
    expect(await rejection(authenticate(auth, token))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's nbf claim is not valid",
    })
  })

  it('checks issuer and audience', async () => {
    const strict = createJwtAuthenticator({
      secret: SECRET,
      issuer: 'https://auth.example.com',
      audience: ['sluice', 'other'],
    })
    const good = await sign(key, 'HS256', {}, (jwt) =>
      jwt.setIssuer('https://auth.example.com').setAudience('sluice'),
    )
    expect((await authenticate(strict, good))?.id).toBe('user-1')

    const wrongIssuer = await sign(key, 'HS256', {}, (jwt) =>
      jwt.setIssuer('https://evil.example').setAudience('sluice'),
    )
    expect(await rejection(authenticate(strict, wrongIssuer))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's iss claim is not valid",
    })
    const wrongAudience = await sign(key, 'HS256', {}, (jwt) =>
      jwt.setIssuer('https://auth.example.com').setAudience('billing'),
    )
    expect(await rejection(authenticate(strict, wrongAudience))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's aud claim is not valid",
    })
  })

  it('requires a subject unless a custom identity mapper is given', async () => {
    const noSubject = await new SignJWT({ name: 'Ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(key)
    expect(await rejection(authenticate(auth, noSubject))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'the token has no subject (sub) claim',
    })
    const mapped = createJwtAuthenticator({
      secret: SECRET,
      identity: (payload) => ({ id: String(payload.name) }),
    })
    expect(await authenticate(mapped, noSubject)).toEqual({ id: 'Ada' })
  })

  it('refuses an unsigned (alg: none) token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')
    const body = Buffer.from(JSON.stringify({ sub: 'user-1' })).toString('base64url')
    expect(await rejection(authenticate(auth, `${header}.${body}.`))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's algorithm is not allowed",
    })
  })

  it('needs exactly one key source', () => {
    expect(() => createJwtAuthenticator({})).toThrow('set exactly one of `secret`, `publicKey` or `jwksUrl`')
    expect(() => createJwtAuthenticator({ secret: SECRET, jwksUrl: 'https://example.com/jwks' })).toThrow(
      'set exactly one of',
    )
    expect(() => createJwtAuthenticator({ secret: '' })).toThrow('`secret` is empty')
  })
})

describe.each(['RS256', 'ES256'] as const)('createJwtAuthenticator with a %s public key', (alg) => {
  let privateKey: GenerateKeyPairResult['privateKey']
  let publicPem: string
  let auth: ReturnType<typeof createJwtAuthenticator>

  beforeAll(async () => {
    const pair = await generateKeyPair(alg)
    privateKey = pair.privateKey
    publicPem = await exportSPKI(pair.publicKey)
    auth = createJwtAuthenticator({ publicKey: publicPem })
  })

  it('verifies a token signed with the private key', async () => {
    expect((await authenticate(auth, await sign(privateKey, alg)))?.id).toBe('user-1')
  })

  it('rejects a token signed by another key pair', async () => {
    const other = await generateKeyPair(alg)
    expect(await rejection(authenticate(auth, await sign(other.privateKey, alg)))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's signature does not verify",
    })
  })

  it('rejects an HS256 token that uses the public key as its secret (algorithm confusion)', async () => {
    const forged = await sign(new TextEncoder().encode(publicPem), 'HS256')
    expect(await rejection(authenticate(auth, forged))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's algorithm is not allowed",
    })
    // Even when the operator lists HS256 by mistake, an asymmetric key never verifies an HMAC.
    const careless = createJwtAuthenticator({ publicKey: publicPem, algorithms: [alg, 'HS256'] })
    expect((await rejection(authenticate(careless, forged))).code).toBe('UNAUTHORIZED')
  })
})

describe('createJwtAuthenticator with a JWKS URL', () => {
  let server: Server
  let jwksUrl: string
  let fetches = 0
  let rsa: GenerateKeyPairResult
  let ec: GenerateKeyPairResult

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256')
    ec = await generateKeyPair('ES256')
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ]
    server = createServer((req, res) => {
      fetches++
      if (req.url === '/broken.json') {
        res.writeHead(500).end('oops')
        return
      }
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  })

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  it('verifies RS256 and ES256 tokens with keys fetched once and cached', async () => {
    fetches = 0
    const auth = createJwtAuthenticator({ jwksUrl })
    expect((await authenticate(auth, await sign(rsa.privateKey, 'RS256', {}, undefined, 'rsa-1')))?.id).toBe(
      'user-1',
    )
    expect((await authenticate(auth, await sign(ec.privateKey, 'ES256', {}, undefined, 'ec-1')))?.id).toBe(
      'user-1',
    )
    expect((await authenticate(auth, await sign(rsa.privateKey, 'RS256', {}, undefined, 'rsa-1')))?.id).toBe(
      'user-1',
    )
    expect(fetches).toBe(1)
  })

  it('rejects a token whose key is not in the set', async () => {
    const auth = createJwtAuthenticator({ jwksUrl })
    const stranger = await generateKeyPair('RS256')
    const token = await sign(stranger.privateKey, 'RS256', {}, undefined, 'unknown-kid')
    expect(await rejection(authenticate(auth, token))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'no signing key matches the token',
    })
  })

  it('rejects an HS256 token against the key set', async () => {
    const auth = createJwtAuthenticator({ jwksUrl })
    const token = await sign(new TextEncoder().encode(SECRET), 'HS256', {}, undefined, 'rsa-1')
    expect(await rejection(authenticate(auth, token))).toEqual({
      code: 'UNAUTHORIZED',
      message: "the token's algorithm is not allowed",
    })
  })

  it('rejects with a clear message when the key set cannot be loaded', async () => {
    const token = await sign(rsa.privateKey, 'RS256', {}, undefined, 'rsa-1')
    const broken = createJwtAuthenticator({
      jwksUrl: jwksUrl.replace('/.well-known/jwks.json', '/broken.json'),
    })
    expect(await rejection(authenticate(broken, token))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'the signing keys could not be loaded',
    })
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const unreachable = createJwtAuthenticator({ jwksUrl: `http://127.0.0.1:${deadPort}/jwks.json` })
    expect(await rejection(authenticate(unreachable, token))).toEqual({
      code: 'UNAUTHORIZED',
      message: 'the signing keys could not be loaded',
    })
  })
})
