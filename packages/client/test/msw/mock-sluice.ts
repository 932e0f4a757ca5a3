/**
 * A scripted Sluice server built from msw handlers, for what only the network boundary shows:
 * the client's default transports on the real globals, HTTP statuses, bodies and headers, the
 * token in the URL or the Authorization header. The client's behaviour is tested on the
 * in-process fake (test/fake-server.ts); add a test here only when the boundary is its subject. Unlike test/fake-server.ts it injects nothing into the
 * client: msw patches `globalThis.WebSocket` and `globalThis.fetch`, so the client runs with
 * its default transports exactly as an app would, and every frame it sends is recorded from
 * the wire (WS messages, SSE command POST bodies) after real encoding.
 *
 * The server side is driven by the test: each connection accepts, refuses, welcomes, sends
 * frames and closes on command. SSE streams are `http.get` handlers answering with a
 * `ReadableStream` body (msw's own `sse()` handler needs a global `EventSource`, which Node
 * lacks without --experimental-eventsource, and the client reads SSE through fetch anyway).
 * Frames are written with @sluice/protocol's SSE formatting, so `event` frames travel as
 * default `message` events as the protocol requires.
 */
import {
  type ClientFrame,
  DEFAULT_LIMITS,
  decodeClientMessage,
  formatSseEvent,
  type ServerFrame,
  sseEventName,
  type WelcomeFrame,
} from '@sluice/protocol'
import { HttpResponse, http, ws } from 'msw'
import type { SetupServer } from 'msw/node'
import { echoSubscribeIds } from '../echo-ids'

export const BASE_URL = 'http://sluice.test/realtime'
// One link per module: each link listens on msw's client BroadcastChannel, so a link per
// test would pile up listeners. Handlers made from it are still per test (server.use).
const link = ws.link('ws://sluice.test/realtime/ws')

export type Kind = 'ws' | 'sse'

/** How a new connection of one transport is answered. */
export type Answer =
  /** Accept and send a welcome at once. */
  | 'welcome'
  /** Accept and stay silent: the test sends the welcome (or nothing). */
  | 'silent'
  /** WS: close (1006) before any frame. SSE: the fetch fails as on a network error. */
  | 'refuse'
  /** SSE: answer with this HTTP status and ErrorFrame body. WS: refused as with 'refuse' (browsers see no status). */
  | { status: number; body: unknown }

export interface MockConnection {
  kind: Kind
  url: URL
  /** The token presented: `token` query parameter (WS) or `Authorization: Bearer` (SSE). */
  token: string | null
  /** Raw WS messages or SSE command POST bodies, one per batch. */
  messages: string[]
  /** Every frame received, decoded, in order. */
  frames: ClientFrame[]
  closed: boolean
  send(message: ServerFrame | ServerFrame[]): void
  welcome(fields?: Partial<WelcomeFrame>): void
  /** WS: server close with this code and reason. SSE: end of stream. */
  close(code?: number, reason?: string): void
}

export interface MockSluiceOptions {
  /** Fields merged into every welcome. */
  welcome?: Partial<WelcomeFrame>
}

/**
 * Installs handlers for `<BASE_URL>/ws`, `/sse` and `/sse/commands` on `server` (with
 * `server.use`, so `server.resetHandlers()` after each test removes them).
 */
export function mockSluice(server: SetupServer, options: MockSluiceOptions = {}) {
  const connections: MockConnection[] = []
  const attempts: Record<Kind, number> = { ws: 0, sse: 0 }
  const answers: Record<Kind, Answer> = { ws: 'welcome', sse: 'welcome' }
  const connectionListeners: Array<(connection: MockConnection) => void> = []
  const streams = new Map<string, MockConnection>()
  const commandKeys = new Map<string, string | undefined>()
  let counter = 0

  const welcomeFrame = (kind: Kind, fields: Partial<WelcomeFrame> = {}): WelcomeFrame => ({
    type: 'welcome',
    protocol: 1,
    connectionId: `c${++counter}`,
    heartbeatMs: 25_000,
    limits: DEFAULT_LIMITS,
    identity: null,
    ...(kind === 'sse' ? { commandKey: `key-${counter}` } : {}),
    ...options.welcome,
    ...fields,
  })

  const record = (connection: MockConnection, text: string) => {
    connection.messages.push(text)
    const decoded = decodeClientMessage(text)
    if (!decoded.ok) throw decoded.error
    for (const result of decoded.value) {
      if (!result.ok) throw result.error
      connection.frames.push(result.value)
    }
  }

  const accepted = (connection: MockConnection, answer: Answer) => {
    connections.push(connection)
    if (answer === 'welcome') connection.welcome()
    for (const listener of connectionListeners) listener(connection)
  }

  const wsHandler = link.addEventListener('connection', ({ client }) => {
    attempts.ws++
    const answer = answers.ws
    if (answer === 'refuse' || typeof answer === 'object') {
      client.close(1006, '')
      return
    }
    const url = new URL(client.url)
    const connection: MockConnection = {
      kind: 'ws',
      url,
      token: url.searchParams.get('token'),
      messages: [],
      frames: [],
      closed: false,
      send(message) {
        if (!connection.closed) client.send(JSON.stringify(echoSubscribeIds(message, connection.frames)))
      },
      welcome(fields) {
        connection.send(welcomeFrame('ws', fields))
      },
      close(code = 1006, reason = '') {
        if (connection.closed) return
        connection.closed = true
        // msw delivers `client.send` data in a microtask and drops it once the socket is
        // closing: close one microtask later so frames sent before the close arrive first,
        // as they do from a real server.
        queueMicrotask(() => client.close(code, reason))
      },
    }
    client.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') throw new Error('mock sluice: the client sent a binary message')
      record(connection, event.data)
    })
    client.addEventListener('close', () => {
      connection.closed = true
    })
    accepted(connection, answer)
  })

  const sseHandler = http.get(`${BASE_URL}/sse`, ({ request }) => {
    attempts.sse++
    const answer = answers.sse
    if (answer === 'refuse') return HttpResponse.error()
    if (typeof answer === 'object') return HttpResponse.json(answer.body as never, { status: answer.status })
    const encoder = new TextEncoder()
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c
      },
      cancel() {
        connection.closed = true
      },
    })
    const authorization = request.headers.get('authorization')
    const connection: MockConnection = {
      kind: 'sse',
      url: new URL(request.url),
      token: authorization ? authorization.replace(/^Bearer /, '') : null,
      messages: [],
      frames: [],
      closed: false,
      send(message) {
        if (connection.closed) return
        let text = ''
        const echoed = echoSubscribeIds(message, connection.frames)
        for (const frame of Array.isArray(echoed) ? echoed : [echoed]) {
          if (frame.type === 'welcome') {
            streams.set(frame.connectionId, connection)
            commandKeys.set(frame.connectionId, frame.commandKey)
          }
          // As the real server writes them: `retry:` on the welcome, `id: epoch:seq` on events.
          text += formatSseEvent({
            event: sseEventName(frame),
            data: JSON.stringify(frame),
            ...(frame.type === 'welcome' && { retry: 2000 }),
            ...(frame.type === 'event' && { id: `${frame.epoch}:${frame.seq}` }),
          })
        }
        controller.enqueue(encoder.encode(text))
      },
      welcome(fields) {
        connection.send(welcomeFrame('sse', fields))
      },
      close() {
        if (connection.closed) return
        connection.closed = true
        controller.close()
      },
    }
    request.signal.addEventListener('abort', () => {
      connection.closed = true
    })
    queueMicrotask(() => accepted(connection, answer))
    return new HttpResponse(body, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  })

  const commandsHandler = http.post(`${BASE_URL}/sse/commands`, async ({ request }) => {
    const id = request.headers.get('sluice-connection') ?? ''
    const connection = streams.get(id)
    if (!connection || connection.closed) {
      return HttpResponse.json(
        { type: 'error', code: 'NOT_FOUND', message: 'unknown connection' },
        { status: 404 },
      )
    }
    if (request.headers.get('sluice-key') !== commandKeys.get(id)) {
      return HttpResponse.json(
        { type: 'error', code: 'FORBIDDEN', message: 'bad command key' },
        { status: 403 },
      )
    }
    const text = await request.text()
    record(connection, text)
    const accepted = text.startsWith('[') ? (JSON.parse(text) as unknown[]).length : 1
    return HttpResponse.json({ accepted }, { status: 202 })
  })

  server.use(wsHandler, sseHandler, commandsHandler)

  return {
    connections,
    attempts,
    /** The most recent accepted connection. */
    get last(): MockConnection {
      const connection = connections[connections.length - 1]
      if (!connection) throw new Error('mock sluice: no connection yet')
      return connection
    },
    /** How the next connections of `kind` are answered. @default 'welcome' */
    answer(kind: Kind, answer: Answer) {
      answers[kind] = answer
    },
    onConnection(listener: (connection: MockConnection) => void) {
      connectionListeners.push(listener)
    },
  }
}

export type MockSluice = ReturnType<typeof mockSluice>
