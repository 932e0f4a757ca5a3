// A page from an origin the server does not allow, in a real Chromium: the browser hides the
// refused WebSocket upgrade, so the client falls back to SSE, where CORS decides what the page may
// read. The server makes its 403 FORBIDDEN readable (and lets the stream's preflight through when
// the client sends a token), so the client closes with FORBIDDEN instead of retrying "Failed to
// fetch" for ever.
//
// The page and the realtime endpoint are on one test server, reached as two origins:
// http://localhost:<port> for the page and http://127.0.0.1:<port> for /realtime. Both are
// loopback, so Chromium's private-network rules stay out of it. The page loads the client's
// built ES modules through an import map (npm test builds before e2e).
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, type Page, test } from '@playwright/test'
import { createSluiceServer, type SluiceServer } from '@sluice/server-node'

const clientPackage = fileURLToPath(new URL('../../packages/client/package.json', import.meta.url))
const requireFromClient = createRequire(clientPackage)
// Each import-map specifier and the directory of its index.js, served as /modules/<specifier>/.
const MODULES: Record<string, string> = {
  '@sluice/client': join(dirname(clientPackage), 'dist'),
  '@sluice/protocol': fileURLToPath(new URL('../../packages/protocol/dist', import.meta.url)),
  nanostores: dirname(requireFromClient.resolve('nanostores')),
  'eventsource-parser': dirname(requireFromClient.resolve('eventsource-parser')),
}

// nanostores reads process.env.NODE_ENV, which a bundler would have replaced.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>refused origin</title>
<script>window.process = { env: { NODE_ENV: 'production' } }</script>
<script type="importmap">${JSON.stringify({
  imports: Object.fromEntries(Object.keys(MODULES).map((name) => [name, `/modules/${name}/index.js`])),
})}</script>
<script type="module">
  import { createClient } from '@sluice/client'
  const params = new URLSearchParams(location.search)
  const token = params.get('token')
  window.states = []
  const client = createClient({
    url: params.get('server'),
    getToken: token === null ? undefined : () => token,
    lazy: false,
  })
  client.$connection.subscribe((state) => {
    const entry = {
      status: state.status,
      transport: state.transport,
      code: state.error?.code ?? null,
      message: state.error?.message ?? null,
    }
    if (JSON.stringify(entry) !== JSON.stringify(window.states.at(-1))) window.states.push(entry)
  })
</script>
`

type Requests = { upgrades: number; streams: number; preflights: number }

let http: Server
let sluice: SluiceServer
let port: number
const requests: Requests = { upgrades: 0, streams: 0, preflights: 0 }
let allowedOrigins: string[] = []

async function serveModule(path: string): Promise<{ type: string; body: Buffer } | null> {
  for (const [specifier, root] of Object.entries(MODULES)) {
    const prefix = `/modules/${specifier}/`
    if (!path.startsWith(prefix)) continue
    const file = normalize(join(root, path.slice(prefix.length)))
    if (!file.startsWith(root)) return null
    const body = await readFile(file).catch(() => null)
    return body === null
      ? null
      : { type: extname(file) === '.js' ? 'text/javascript' : 'application/json', body }
  }
  return null
}

test.beforeEach(async () => {
  requests.upgrades = requests.streams = requests.preflights = 0
  // Read per request, so each test sets its own list before the page connects.
  sluice = createSluiceServer({
    logger: false,
    allowedOrigins: (origin) => allowedOrigins.includes(origin),
    authenticate: ({ token }) => (token === undefined ? null : { id: token }),
  })
  http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path.startsWith('/realtime')) {
      if (path === '/realtime/sse' && req.method === 'GET') requests.streams++
      if (req.method === 'OPTIONS') requests.preflights++
      sluice.handler(req, res)
      return
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
      return
    }
    void serveModule(path).then((found) => {
      if (found === null) res.writeHead(404).end()
      else res.writeHead(200, { 'content-type': found.type }).end(found.body)
    })
  })
  http.on('upgrade', () => {
    requests.upgrades++
  })
  sluice.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  port = (http.address() as AddressInfo).port
})

test.afterEach(async () => {
  await sluice.close({ retryAfterMs: 0 })
  http.closeAllConnections()
  await new Promise<void>((resolve) => http.close(() => resolve()))
})

type State = { status: string; transport: string | null; code: string | null; message: string | null }

async function openPage(page: Page, query = ''): Promise<void> {
  // The page's timers are the test's: once closed, an hour passes in an instant, and any
  // reconnect the client had scheduled would have run.
  await page.clock.install()
  await page.goto(`http://localhost:${port}/?server=http://127.0.0.1:${port}/realtime${query}`)
}

const states = (page: Page) => page.evaluate(() => (window as unknown as { states: State[] }).states)

const lastStatus = async (page: Page) => (await states(page)).at(-1)?.status

for (const [name, query, expected] of [
  ['without a token', '', { upgrades: 1, streams: 1, preflights: 0 }],
  // Authorization makes Chromium preflight the stream: the preflight must pass for the 403 to be read.
  ['with a token', '&token=user-1', { upgrades: 1, streams: 1, preflights: 1 }],
] as const) {
  test(`a refused origin ${name}: FORBIDDEN after one WebSocket and one SSE attempt, then nothing`, async ({
    page,
  }) => {
    allowedOrigins = ['https://app.example.com']
    await openPage(page, query)
    await expect.poll(() => lastStatus(page)).toBe('closed')
    // Straight from connecting to closed, through the SSE fallback: no reconnect was scheduled.
    expect(await states(page)).toEqual([
      { status: 'connecting', transport: null, code: null, message: null },
      { status: 'connecting', transport: 'ws', code: null, message: null },
      { status: 'connecting', transport: 'sse', code: null, message: null },
      // Closed: no transport is open any more.
      { status: 'closed', transport: null, code: 'FORBIDDEN', message: 'this origin is not allowed' },
    ])
    expect(requests).toEqual(expected)
    await page.clock.runFor(3_600_000)
    expect((await states(page)).length).toBe(4)
    expect(requests).toEqual(expected)
  })
}

test('the same page from an allowed origin opens over WebSocket', async ({ page }) => {
  allowedOrigins = [`http://localhost:${port}`]
  await openPage(page, '&token=user-1')
  await expect.poll(() => lastStatus(page)).toBe('open')
  expect(await states(page)).toEqual([
    { status: 'connecting', transport: null, code: null, message: null },
    { status: 'connecting', transport: 'ws', code: null, message: null },
    { status: 'open', transport: 'ws', code: null, message: null },
  ])
  expect(requests).toEqual({ upgrades: 1, streams: 0, preflights: 0 })
})
