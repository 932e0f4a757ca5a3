/**
 * The in-process fake of a Sluice server for the client's edge cases: it hands the client a
 * WebSocket constructor and a fetch that never touch the network, records every frame the
 * client sends, and lets a test script the server's side frame by frame — refuse a transport,
 * stay silent, drop a connection, replay with overlap. Everything is synchronous or microtask
 * based, so tests drive time with fake timers. Tests state their frames with test/flows.ts.
 *
 * The one other stand-in, test/msw/mock-sluice.ts, is for what only the real globals show (the
 * client's default `WebSocket` and `fetch`, HTTP statuses and bodies, headers); behaviour goes
 * here. The real server is covered by test/integration.
 */
import {
  type ClientFrame,
  DEFAULT_LIMITS,
  decodeClientMessage,
  type ServerFrame,
  type WelcomeFrame,
} from '@sluice/protocol'
import type { ClientEnvironment } from '../src/environment'
import { echoSubscribeIds } from './echo-ids'

export type Kind = 'ws' | 'sse'

export interface FakeConnection {
  kind: Kind
  url: URL
  /** The token the client presented (query for WS, Authorization header for SSE). */
  token: string | null
  /** Every frame received, in order. */
  frames: ClientFrame[]
  /** Raw messages (WS) or POST bodies (SSE): one per batch. */
  messages: string[]
  closed: boolean
  send(message: ServerFrame | ServerFrame[]): void
  /** A heartbeat comment on SSE, a ping frame on WS. */
  heartbeat(): void
  welcome(fields?: Partial<WelcomeFrame>): void
  /** Ends the connection from the server side (a WS close code, or the end of the SSE stream). */
  close(code?: number, reason?: string): void
}

export interface FakeServerOptions {
  /** Send a welcome as soon as a connection opens. @default true */
  autoWelcome?: boolean
  welcome?: Partial<WelcomeFrame>
}

type Listener = (event: never) => void

const flushMicrotasks = () => new Promise<void>((resolve) => queueMicrotask(resolve))

export function createFakeServer(options: FakeServerOptions = {}) {
  const connections: FakeConnection[] = []
  /** Connect attempts per transport, refused ones included. */
  const attempts: Record<Kind, number> = { ws: 0, sse: 0 }
  const refuse: Record<Kind, false | 'close' | 'http' | 'silent'> = { ws: false, sse: false }
  let httpRefusal: { status: number; body: unknown } = {
    status: 503,
    body: { type: 'error', code: 'OVERLOADED', message: 'busy' },
  }
  let connectionCounter = 0
  const onConnectionListeners: Array<(connection: FakeConnection) => void> = []
  const onFrameListeners: Array<(frame: ClientFrame, connection: FakeConnection) => void> = []

  const welcomeFrame = (kind: Kind, fields: Partial<WelcomeFrame> = {}): WelcomeFrame => ({
    type: 'welcome',
    protocol: 1,
    connectionId: `c${++connectionCounter}`,
    heartbeatMs: 25_000,
    limits: DEFAULT_LIMITS,
    identity: null,
    ...(kind === 'sse' ? { commandKey: 'key' } : {}),
    ...options.welcome,
    ...fields,
  })

  const record = (connection: FakeConnection, text: string) => {
    connection.messages.push(text)
    const decoded = decodeClientMessage(text)
    if (!decoded.ok) throw decoded.error
    for (const frame of decoded.value) {
      if (!frame.ok) throw frame.error
      connection.frames.push(frame.value)
      // A microtask later, as a server's answer never arrives inside the client's send().
      const received = frame.value
      for (const listener of onFrameListeners) queueMicrotask(() => listener(received, connection))
    }
  }

  const accepted = (connection: FakeConnection) => {
    connections.push(connection)
    if (options.autoWelcome !== false) connection.welcome()
    for (const listener of onConnectionListeners) listener(connection)
  }

  class FakeWebSocket {
    static readonly CONNECTING = 0
    static readonly OPEN = 1
    readyState = 0
    listeners = new Map<string, Listener[]>()
    connection: FakeConnection | null = null

    constructor(url: string) {
      const parsed = new URL(url)
      attempts.ws++
      const mode = refuse.ws
      queueMicrotask(() => {
        if (mode === 'close' || mode === 'http') return this.emitClose(1006, '')
        if (mode === 'silent') return
        this.readyState = 1
        this.emit('open', {})
        const socket = this
        const connection: FakeConnection = {
          kind: 'ws',
          url: parsed,
          token: parsed.searchParams.get('token'),
          frames: [],
          messages: [],
          closed: false,
          send(message) {
            const data = JSON.stringify(echoSubscribeIds(message, connection.frames))
            if (!connection.closed) socket.emit('message', { data })
          },
          heartbeat() {
            connection.send({ type: 'ping' })
          },
          welcome(fields) {
            connection.send(welcomeFrame('ws', fields))
          },
          close(code = 1006, reason = '') {
            if (connection.closed) return
            connection.closed = true
            socket.emitClose(code, reason)
          },
        }
        this.connection = connection
        accepted(connection)
      })
    }

    addEventListener(type: string, listener: Listener) {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
    }

    send(data: string) {
      if (this.readyState !== 1 || !this.connection) throw new Error('FakeWebSocket: send before open')
      record(this.connection, data)
    }

    close() {
      if (this.readyState === 3) return
      if (this.connection) this.connection.closed = true
      // A local close is reported asynchronously, as real sockets do.
      queueMicrotask(() => this.emitClose(1000, ''))
    }

    emitClose(code: number, reason: string) {
      if (this.readyState === 3) return
      this.readyState = 3
      this.emit('close', { code, reason })
    }

    emit(type: string, event: unknown) {
      for (const listener of this.listeners.get(type) ?? []) (listener as (event: unknown) => void)(event)
    }
  }

  const streams = new Map<string, FakeConnection>()

  const fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input)
    const headers = new Headers(init.headers)
    if (init.method === 'POST') {
      const connection = streams.get(headers.get('sluice-connection') ?? '')
      if (!connection || connection.closed) {
        return Response.json(
          { type: 'error', code: 'NOT_FOUND', message: 'unknown connection' },
          { status: 404 },
        )
      }
      record(connection, String(init.body))
      return Response.json({ accepted: 1 }, { status: 202 })
    }
    attempts.sse++
    const mode = refuse.sse
    if (mode === 'close') throw new TypeError('fetch failed')
    if (mode === 'http') return Response.json(httpRefusal.body, { status: httpRefusal.status })
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c
      },
    })
    const auth = headers.get('authorization')
    const connection: FakeConnection = {
      kind: 'sse',
      url,
      token: auth ? auth.replace(/^Bearer /, '') : null,
      frames: [],
      messages: [],
      closed: false,
      send(message) {
        if (connection.closed) return
        const echoed = echoSubscribeIds(message, connection.frames)
        const frames = Array.isArray(echoed) ? echoed : [echoed]
        let text = ''
        for (const frame of frames) {
          if (frame.type === 'welcome') streams.set(frame.connectionId, connection)
          text += frame.type === 'event' ? '' : `event: ${frame.type}\n`
          text += `data: ${JSON.stringify(frame)}\n\n`
        }
        controller.enqueue(encoder.encode(text))
      },
      heartbeat() {
        if (!connection.closed) controller.enqueue(encoder.encode(': ping\n\n'))
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
    init.signal?.addEventListener('abort', () => {
      if (connection.closed) return
      connection.closed = true
      controller.error(new DOMException('aborted', 'AbortError'))
    })
    if (mode !== 'silent') queueMicrotask(() => accepted(connection))
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
  }

  let online = true
  const environmentListeners = {
    online: new Set<() => void>(),
    offline: new Set<() => void>(),
    visible: new Set<() => void>(),
  }
  const subscribeTo = (set: Set<() => void>) => (listener: () => void) => {
    set.add(listener)
    return () => set.delete(listener)
  }
  const environment: ClientEnvironment = {
    isOnline: () => online,
    onOnline: subscribeTo(environmentListeners.online),
    onOffline: subscribeTo(environmentListeners.offline),
    onVisible: subscribeTo(environmentListeners.visible),
  }

  return {
    WebSocket: FakeWebSocket,
    fetch,
    environment,
    connections,
    attempts,
    /** The most recent connection. */
    get last(): FakeConnection {
      const connection = connections[connections.length - 1]
      if (!connection) throw new Error('fake server: no connection yet')
      return connection
    },
    /** How a transport fails to connect: close before open, an HTTP error, silence, or not at all. */
    refuse(kind: Kind, mode: false | 'close' | 'http' | 'silent') {
      refuse[kind] = mode
    },
    httpRefusal(status: number, body: unknown) {
      httpRefusal = { status, body }
    },
    onConnection(listener: (connection: FakeConnection) => void) {
      onConnectionListeners.push(listener)
    },
    /** Hears every frame a client sends, e.g. to answer each auth or publish as it comes. */
    onFrame(listener: (frame: ClientFrame, connection: FakeConnection) => void) {
      onFrameListeners.push(listener)
    },
    setOnline(value: boolean) {
      online = value
      for (const listener of environmentListeners[value ? 'online' : 'offline']) listener()
    },
    becomeVisible() {
      for (const listener of environmentListeners.visible) listener()
    },
  }
}

export type FakeServer = ReturnType<typeof createFakeServer>

/** Lets queued microtasks and stream reads settle (several rounds: streams chain promises). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await flushMicrotasks()
}
