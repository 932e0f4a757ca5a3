import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaticHandler } from './static-files'

let dir: string
let server: Server
let port: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-static-'))
  const app = join(dir, 'app')
  await mkdir(join(app, 'assets'), { recursive: true })
  await mkdir(join(app, 'docs'))
  await writeFile(join(app, 'index.html'), '<!doctype html><title>app</title>')
  await writeFile(join(app, 'assets', 'main-3f2a.js'), 'console.log(1)')
  await writeFile(join(app, 'docs', 'index.html'), '<p>docs</p>')
  await writeFile(join(app, '.env'), 'SECRET=1')
  await writeFile(join(dir, 'outside.txt'), 'outside')
  await symlink(join(dir, 'outside.txt'), join(app, 'escape.txt'))
  const handler = createStaticHandler(app)
  server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('createStaticHandler', () => {
  it('serves index.html for the root and for folders, revalidated', async () => {
    const root = await get('/')
    expect(root.status).toBe(200)
    expect(root.body).toBe('<!doctype html><title>app</title>')
    expect(root.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(root.headers['cache-control']).toBe('no-cache')
    expect((await get('/docs/')).body).toBe('<p>docs</p>')
    expect((await get('/docs')).body).toBe('<p>docs</p>')
  })

  it('serves files with their content type and length, ignoring the query', async () => {
    const res = await get('/assets/main-3f2a.js?v=2')
    expect(res.status).toBe(200)
    expect(res.body).toBe('console.log(1)')
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.headers['content-length']).toBe('14')
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
  })

  it('answers HEAD without a body', async () => {
    const res = await get('/assets/main-3f2a.js', {}, 'HEAD')
    expect(res.status).toBe(200)
    expect(res.headers['content-length']).toBe('14')
    expect(res.body).toBe('')
  })

  it.each([
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/assets/%2e%2e/%2e%2e/outside.txt',
    '/escape.txt',
    '/.env',
    '/%2eenv',
    '/missing.js',
  ])('answers 404 to %s', async (path) => {
    const res = await get(path, { accept: 'text/html' })
    expect(res.status).toBe(404)
    expect(res.body).toBe('Not Found')
  })

  it('rejects undecodable paths and encoded backslashes', async () => {
    expect((await get('/%E0%A4%A')).status).toBe(400)
    expect((await get('/..%5c..%5coutside.txt')).status).toBe(400)
  })

  it('answers client-side routes of a single-page app with index.html when HTML is accepted', async () => {
    const page = await get('/todos/42', { accept: 'text/html,application/xhtml+xml' })
    expect(page.status).toBe(200)
    expect(page.body).toBe('<!doctype html><title>app</title>')
    expect((await get('/todos/42', { accept: '*/*' })).status).toBe(404)
  })

  it('answers 405 to other methods', async () => {
    const res = await get('/', {}, 'POST')
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
  })

  it('answers 404 when the folder does not exist', async () => {
    const handler = createStaticHandler(join(dir, 'nope'))
    const missing = createServer((req, res) => void handler(req, res))
    await new Promise<void>((resolve) => missing.listen(0, '127.0.0.1', resolve))
    const missingPort = (missing.address() as AddressInfo).port
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: missingPort, path: '/' }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
        .on('error', reject)
        .end()
    })
    await new Promise((resolve) => missing.close(resolve))
    expect(status).toBe(404)
  })
})
