// The demo app's server: the reference server embedded in a plain node:http app, serving a
// shared todo board (topic `todos`, with a snapshot provider) and, with --e2e, the hooks the
// Playwright tests use to drop every connection and to publish numbered bursts.
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { parseArgs } from 'node:util'
import { createSluiceServer } from '@sluice/server-node'
import { createTodoBoard } from './todo-board.js'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    e2e: { type: 'boolean', default: false },
  },
})

const publicDir = join(import.meta.dirname, 'public')
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
}

const board = createTodoBoard()
const sluice = createSluiceServer({
  // Every visitor is anonymous: anyone may read the board and change it through its
  // procedures; the e2e counter topic is read-only. Nobody publishes from a client.
  rules: [
    { topic: 'todos', subscribe: 'anyone' },
    { topic: 'counter', subscribe: 'anyone' },
    { procedure: '*', call: 'anyone' },
  ],
  snapshot: (topic) => (topic === 'todos' ? board.list() : null),
  procedures: board.procedures(() => sluice),
})

async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  const file = normalize(join(publicDir, path === '/' ? 'index.html' : path))
  if (!file.startsWith(publicDir)) {
    res.writeHead(404).end()
    return
  }
  try {
    const body = await readFile(file)
    res
      .writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' })
      .end(body)
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
  }
}

// Tracked so the e2e hook can cut every TCP connection at once, the way a network drop does.
const sockets = new Set<Socket>()

async function e2eHook(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://x')
  if (!args.e2e || req.method !== 'POST' || !url.pathname.startsWith('/__e2e/')) return false
  if (url.pathname === '/__e2e/drop') {
    const dropped = dropAll(req.socket)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ dropped }))
    return true
  }
  if (url.pathname === '/__e2e/counter') {
    // Publishes `count` numbered events, cutting every connection each `dropEvery` events.
    const count = Number(url.searchParams.get('count') ?? 100)
    const dropEvery = Number(url.searchParams.get('dropEvery') ?? 0)
    let dropped = 0
    for (let n = 1; n <= count; n++) {
      await sluice.publish('counter', { kind: 'created', key: String(n), data: { n } })
      if (dropEvery > 0 && n % dropEvery === 0) {
        // Waiting for a client to come back before publishing on makes each drop land on a
        // live connection, and the events published meanwhile must come by replay.
        const reconnected = nextRealtimeConnection(10_000)
        dropped += dropAll(req.socket)
        await reconnected
      }
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ published: count, dropped }))
    return true
  }
  return false
}

const realtimeConnectionWaiters: Array<() => void> = []

function nextRealtimeConnection(timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    realtimeConnectionWaiters.push(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

function realtimeConnectionOpened(url: string | undefined): void {
  if (!url?.startsWith('/realtime/ws') && !url?.startsWith('/realtime/sse?') && url !== '/realtime/sse')
    return
  for (const wake of realtimeConnectionWaiters.splice(0)) wake()
}

function dropAll(except: Socket): number {
  let dropped = 0
  for (const socket of sockets) {
    if (socket === except) continue
    socket.destroy()
    dropped++
  }
  return dropped
}

const http = createServer((req, res) => {
  void (async () => {
    if (req.method === 'GET') realtimeConnectionOpened(req.url)
    if (await e2eHook(req, res)) return
    if (req.url === '/healthz' || req.url?.startsWith('/realtime')) {
      sluice.handler(req, res)
      return
    }
    await serveStatic(req, res)
  })()
})
http.on('connection', (socket: Socket) => {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
})
http.on('upgrade', (req) => realtimeConnectionOpened(req.url))
sluice.attach(http)

http.listen(Number(args.port), args.host, () => {
  console.log(`Sluice demo on http://${args.host}:${args.port} (realtime endpoint /realtime)`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sluice.close().then(() => http.close(() => process.exit(0)))
  })
}
