// The example's Sluice server, with the one route the Nuxt app renders from: GET /todos
// answers the list with the log position it includes every event up to (a TopicSeed).
//
//   PORT=3100 SLUICE_PUBLISH_KEY=dev-key SLUICE_METRICS=1 node realtime/server.ts
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { createSluiceServer, type PublishInput, ServerError } from '@sluice/server-node'

interface Todo {
  id: string
  title: string
}
interface Position {
  epoch: string
  seq: number
}

const port = Number(process.env.PORT ?? 3100)
const publishKey = process.env.SLUICE_PUBLISH_KEY

function isTodo(data: unknown, key: string | undefined): data is Todo {
  if (typeof data !== 'object' || data === null) return false
  const { id, title } = data as Record<string, unknown>
  return typeof id === 'string' && id === key && typeof title === 'string' && title.length <= 200
}

const sluice = createSluiceServer({
  // Browsers publish their own todos (the page's form); POST /realtime/publish with the key is
  // how a backend, or the e2e test, does it.
  rules: [{ topic: 'todos', subscribe: 'anyone', publish: 'anyone' }],
  publishKeys: publishKey ? [publishKey] : [],
  // GET /metrics, whose connection counter the e2e test reads.
  metrics: process.env.SLUICE_METRICS === '1',
})

// A publish is untrusted input: only todo-shaped creations reach the log.
sluice.use(async (ctx, next) => {
  if (ctx.type === 'publish' && !(ctx.event.kind === 'created' && isTodo(ctx.event.data, ctx.event.key))) {
    throw new ServerError('BAD_REQUEST', `todos: expected a created event with data { id: key, title }`)
  }
  await next()
})

// The list pages are rendered from. An effect sees each event once and in append order, so
// after each one `todos` holds exactly the events up to `position`, which is what makes the
// pair a seed the browser can resume from without losing or repeating an event.
const todos = new Map<string, Todo>()
let position: Position | null = null
const waiting = new Set<{ at: Position; resolve: () => void }>()

sluice.onPublish('todos', (event) => {
  if (event.kind === 'created' && isTodo(event.data, event.key)) todos.set(event.data.id, event.data)
  position = { epoch: event.epoch, seq: event.seq }
  for (const waiter of waiting) {
    if (waiter.at.epoch === event.epoch && waiter.at.seq <= event.seq) {
      waiting.delete(waiter)
      waiter.resolve()
    }
  }
})

/** Resolves once the effect has applied the event at `at`. */
function applied(at: Position): Promise<void> {
  return new Promise((resolve) => waiting.add({ at, resolve }))
}

async function publishTodo(title: string): Promise<Position> {
  const id = randomUUID()
  const event: PublishInput = { kind: 'created', key: id, data: { id, title } }
  const at = await sluice.publish('todos', event)
  if (!at) throw new Error(`todos: publishing '${title}' returned no position`)
  return at
}

// Two todos to start with, so the first page is server-rendered with content and a position.
await publishTodo('Read the Nuxt guide')
await applied(await publishTodo('Open this page in a second tab'))

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/todos') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ snapshot: [...todos.values()], position }))
    return
  }
  sluice.handler(req, res)
})
sluice.attach(http)
http.listen(port, '127.0.0.1', () => {
  console.log(`sluice example server on http://127.0.0.1:${port} (realtime at /realtime, seed at /todos)`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    http.close()
    void sluice.close().then(() => process.exit(0))
  })
}
