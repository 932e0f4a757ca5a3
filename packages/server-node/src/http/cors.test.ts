import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type AllowedOrigins, applyCors, exposeRefusal, isOriginAllowed, refusalCorsLines } from './cors'

describe('isOriginAllowed', () => {
  const list = [
    'https://app.example.com',
    'http://localhost:5173',
    'https://*.example.org',
    'http://*.test:8080',
  ]

  it.each([
    [undefined, true],
    ['https://app.example.com', true],
    ['https://APP.example.com', true],
    ['https://app.example.com:443', true],
    ['http://app.example.com', false],
    ['https://app.example.com:8443', false],
    ['https://evil-app.example.com', false],
    ['https://app.example.com.evil.com', false],
    ['http://localhost:5173', true],
    ['http://localhost:5174', false],
    ['http://localhost', false],
    ['https://a.example.org', true],
    ['https://a.b.example.org', true],
    ['https://example.org', false],
    ['https://evilexample.org', false],
    ['http://a.example.org', false],
    ['https://a.example.org:444', false],
    ['http://api.test:8080', true],
    ['http://api.test', false],
    ['null', false],
    ['not a url', false],
  ])('%s → %s', (origin, expected) => {
    expect(isOriginAllowed(origin, list)).toBe(expected)
  })

  it('allows everything with "*" and asks a predicate', () => {
    expect(isOriginAllowed('https://anything.example', '*')).toBe(true)
    const predicate = vi.fn((origin: string) => origin.endsWith('.internal'))
    expect(isOriginAllowed('https://x.internal', predicate)).toBe(true)
    expect(isOriginAllowed('https://x.public', predicate)).toBe(false)
    expect(predicate.mock.calls).toEqual([['https://x.internal'], ['https://x.public']])
  })

  it('allows the literal "null" origin only when listed, and warns about entries that are not origins', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(isOriginAllowed('null', ['null'])).toBe(true)
    expect(isOriginAllowed('https://a.example', ['https://a.example/path'])).toBe(false)
    expect(warn).toHaveBeenCalledWith(
      '[sluice] allowedOrigins entry "https://a.example/path" is not an origin (scheme://host[:port]); it matches nothing',
    )
  })

  it('denies every browser origin with an empty list', () => {
    expect(isOriginAllowed('https://app.example.com', [])).toBe(false)
    expect(isOriginAllowed(undefined, [])).toBe(true)
  })
})

describe('applyCors over HTTP', () => {
  let server: Server
  let port: number
  let allowed: AllowedOrigins = ['https://app.example.com']

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (applyCors(req, res, allowed)) return
      res.writeHead(200, { 'content-type': 'text/plain' }).end('handled')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  function send(method: string, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method, path: '/realtime/sse/commands', headers },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            body += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        },
      )
      req.on('error', reject)
      req.end()
    })
  }

  it('answers a preflight from an allowed origin with 204 and the allowed methods and headers', async () => {
    const res = await send('OPTIONS', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, sluice-key',
    })
    expect(res.status).toBe(204)
    expect(res.body).toBe('')
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(res.headers['access-control-allow-credentials']).toBe('true')
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS')
    expect(res.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, last-event-id, sluice-connection, sluice-key',
    )
    expect(res.headers['access-control-max-age']).toBe('600')
    expect(res.headers.vary).toBe('Origin')
  })

  it('refuses a preflight from another origin with 403 and no CORS headers', async () => {
    const res = await send('OPTIONS', {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
    })
    expect(res.status).toBe(403)
    expect(JSON.parse(res.body)).toEqual({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'this origin is not allowed',
    })
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('adds CORS headers to an allowed request and lets the handler answer it', async () => {
    const res = await send('GET', { origin: 'https://app.example.com' })
    expect(res.status).toBe(200)
    expect(res.body).toBe('handled')
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(res.headers['access-control-allow-credentials']).toBe('true')
    expect(res.headers['access-control-allow-methods']).toBeUndefined()
    expect(res.headers.vary).toBe('Origin')
  })

  it('leaves a disallowed non-preflight request to the handler, without CORS headers', async () => {
    const res = await send('GET', { origin: 'https://evil.example' })
    expect(res.status).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('answers OPTIONS without an Origin (not a CORS preflight) with 204 and Allow only', async () => {
    const res = await send('OPTIONS', {})
    expect(res.status).toBe(204)
    expect(res.headers.allow).toBe('GET, POST, OPTIONS')
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('echoes the origin (never "*") when every origin is allowed', async () => {
    allowed = '*'
    const res = await send('GET', { origin: 'https://any.example' })
    expect(res.headers['access-control-allow-origin']).toBe('https://any.example')
    allowed = ['https://app.example.com']
  })
})

describe('applyCors Vary handling', () => {
  it('appends Origin to an existing Vary header once', async () => {
    const headers = new Map<string, unknown>([['vary', 'Accept-Encoding']])
    const res = {
      getHeader: (name: string) => headers.get(name),
      setHeader: (name: string, value: unknown) => headers.set(name, value),
    }
    const req = { method: 'GET', headers: { origin: 'https://a.example' } }
    const call = () => applyCors(req as never, res as never, '*')
    expect(call()).toBe(false)
    expect(call()).toBe(false)
    expect(headers.get('vary')).toBe('Accept-Encoding, Origin')
  })
})

describe('refusals a page can read', () => {
  function fakeResponse() {
    const headers = new Map<string, unknown>()
    const res = {
      statusCode: 0,
      ended: false,
      getHeader: (name: string) => headers.get(name),
      setHeader: (name: string, value: unknown) => headers.set(name, value),
      writeHead(status: number) {
        this.statusCode = status
        return this
      },
      end() {
        this.ended = true
      },
    }
    return { res, headers }
  }

  it('exposeRefusal echoes any origin with credentials, and nothing without one', () => {
    const refused = fakeResponse()
    exposeRefusal({ headers: { origin: 'https://evil.example' } } as never, refused.res as never)
    expect(Object.fromEntries(refused.headers)).toEqual({
      'access-control-allow-origin': 'https://evil.example',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    })
    const server = fakeResponse()
    exposeRefusal({ headers: {} } as never, server.res as never)
    expect(server.headers.size).toBe(0)
  })

  it('a preflight of an endpoint that connects passes for a refused origin; of another, it does not', () => {
    const req = {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    }
    const connects = fakeResponse()
    expect(
      applyCors(req as never, connects.res as never, ['https://app.example.com'], { connects: true }),
    ).toBe(true)
    expect(connects.res.statusCode).toBe(204)
    expect(Object.fromEntries(connects.headers)).toEqual({
      'access-control-allow-origin': 'https://evil.example',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers':
        'authorization, content-type, last-event-id, sluice-connection, sluice-key',
      'access-control-max-age': '600',
      allow: 'GET, POST, OPTIONS',
    })
    const other = fakeResponse()
    expect(applyCors(req as never, other.res as never, ['https://app.example.com'])).toBe(true)
    // 403 FORBIDDEN, its headers only those of the body (the HTTP test above reads it).
    expect(other.res.statusCode).toBe(403)
    expect(other.headers.size).toBe(0)
  })

  it('a request (not a preflight) from a refused origin gets no CORS headers from applyCors, connects or not', () => {
    const req = { method: 'GET', headers: { origin: 'https://evil.example' } }
    const { res, headers } = fakeResponse()
    expect(applyCors(req as never, res as never, ['https://app.example.com'], { connects: true })).toBe(false)
    expect(headers.size).toBe(0)
  })

  it('refusalCorsLines writes raw header lines, and nothing for an origin that is not one line of visible ASCII', () => {
    expect(refusalCorsLines('https://evil.example')).toBe(
      'Access-Control-Allow-Origin: https://evil.example\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n',
    )
    expect(refusalCorsLines(undefined)).toBe('')
    expect(refusalCorsLines('https://a.example\r\nSet-Cookie: x=1')).toBe('')
    expect(refusalCorsLines('https://ä.example')).toBe('')
  })
})
