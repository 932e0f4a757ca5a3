// Test peers for the integration suites: a WebSocket peer and an SSE peer that collect server
// frames in order and let a test await the next frame of a given shape, with a deadline so a
// missing frame fails the test with what did arrive instead of hanging.
import type { ClientFrame, ServerFrame } from '@sluice/protocol'
import { afterEach } from 'vitest'
import WebSocket from 'ws'
import type { SluiceServerOptions } from '../src/options'
import { createTestServer, type TestServer } from '../src/testing'

type Predicate = (frame: ServerFrame) => boolean

const DEFAULT_WAIT_MS = 5_000

class FrameQueue {
  readonly frames: ServerFrame[] = []
  #cursor = 0
  #waiters: Array<() => void> = []
  ended = false

  push(frame: ServerFrame): void {
    this.frames.push(frame)
    for (const wake of this.#waiters.splice(0)) wake()
  }

  end(): void {
    this.ended = true
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** The next frame (after the previous `next`) matching `predicate`, skipping others. */
  async next(predicate: Predicate = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      while (this.#cursor < this.frames.length) {
        const frame = this.frames[this.#cursor++] as ServerFrame
        if (predicate(frame)) return frame
      }
      if (this.ended) throw new Error(`stream ended; frames: ${JSON.stringify(this.frames)}`)
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(`no matching frame in ${timeoutMs} ms; frames: ${JSON.stringify(this.frames)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits until `count` frames matching `predicate` arrived in total; returns them. */
  async collect(predicate: Predicate, count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<ServerFrame[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const matching = this.frames.filter(predicate)
      if (matching.length >= count) return matching
      if (this.ended || Date.now() > deadline) {
        throw new Error(
          `got ${matching.length}/${count} frames; frames: ${JSON.stringify(this.frames.slice(-20))}`,
        )
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

export const ofType =
  <T extends ServerFrame['type']>(
    type: T,
    extra: (frame: Extract<ServerFrame, { type: T }>) => boolean = () => true,
  ) =>
  (frame: ServerFrame): boolean =>
    frame.type === type && extra(frame as Extract<ServerFrame, { type: T }>)

/** A WebSocket peer speaking the protocol. */
export class WsPeer extends FrameQueue {
  readonly closed: Promise<{ code: number; reason: string }>
  /** Every message as received, to check what the server sends together. */
  readonly messages: string[] = []

  private constructor(readonly ws: WebSocket) {
    super()
    ws.on('message', (data) => {
      const text = data.toString()
      this.messages.push(text)
      // The server batches the opening frames of a subscribe flow; everything else is single.
      const parsed = JSON.parse(text) as ServerFrame | ServerFrame[]
      for (const frame of Array.isArray(parsed) ? parsed : [parsed]) this.push(frame)
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.end()
        resolve({ code, reason: reason.toString() })
      })
    })
    ws.on('error', () => {})
  }

  /** Opens `<base>/ws?<query>` and resolves once open (the welcome may still be in flight). */
  static connect(baseUrl: string, query = 'v=1', options: WebSocket.ClientOptions = {}): Promise<WsPeer> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws?${query}`
    const ws = new WebSocket(url, options)
    const peer = new WsPeer(ws)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(peer))
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString()
        })
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
        )
      })
      ws.once('error', reject)
    })
  }

  /** Connects and returns the peer with its welcome frame. */
  static async open(baseUrl: string, query = 'v=1', options: WebSocket.ClientOptions = {}) {
    const peer = await WsPeer.connect(baseUrl, query, options)
    const welcome = await peer.next(ofType('welcome'))
    return { peer, welcome: welcome as Extract<ServerFrame, { type: 'welcome' }> }
  }

  send(frame: ClientFrame | ClientFrame[] | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close()
    return this.closed
  }
}

/** One parsed Server-Sent Event. */
export interface SseEvent {
  event: string | undefined
  id: string | undefined
  data: string
  /** Set when a `retry:` field came in this event's block. */
  retry?: number
}

/** Reads `text/event-stream` with fetch and a small line parser (the spec's field rules). */
export class SsePeer extends FrameQueue {
  readonly events: SseEvent[] = []
  retry: number | undefined
  readonly #abort = new AbortController()
  readonly done: Promise<void>

  private constructor(readonly response: Response) {
    super()
    this.done = this.#read()
  }

  static async open(baseUrl: string, query = 'v=1', headers: Record<string, string> = {}) {
    const controller = new AbortController()
    const response = await fetch(`${baseUrl}/sse?${query}`, { headers, signal: controller.signal })
    if (response.status !== 200) {
      return { peer: undefined, response, body: await response.json() }
    }
    const { peer, welcome } = await SsePeer.read(response, controller)
    return { peer, response, welcome, body: undefined }
  }

  /** Reads an open stream's answer (from `fetch` or `sluice.fetch`); `close()` aborts `controller`. */
  static async read(response: Response, controller: AbortController) {
    const peer = new SsePeer(response)
    peer.#abort.signal.addEventListener('abort', () => controller.abort())
    const welcome = (await peer.next(ofType('welcome'))) as Extract<ServerFrame, { type: 'welcome' }>
    return { peer, welcome }
  }

  async #read(): Promise<void> {
    const reader = (this.response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let fields: { event?: string; id?: string; retry?: number; data: string[] } = { data: [] }
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let newline = buffer.indexOf('\n')
        while (newline >= 0) {
          const line = buffer.slice(0, newline)
          buffer = buffer.slice(newline + 1)
          newline = buffer.indexOf('\n')
          if (line === '') {
            if (fields.data.length > 0) {
              const event: SseEvent = { event: fields.event, id: fields.id, data: fields.data.join('\n') }
              if (fields.retry !== undefined) event.retry = fields.retry
              this.events.push(event)
              this.push(JSON.parse(event.data) as ServerFrame)
            }
            fields = { data: [] }
            continue
          }
          if (line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const name = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (name === 'data') fields.data.push(value)
          else if (name === 'event') fields.event = value
          else if (name === 'id') fields.id = value
          else if (name === 'retry') {
            fields.retry = Number(value)
            this.retry = fields.retry
          }
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.end()
    }
  }

  close(): Promise<void> {
    this.#abort.abort()
    return this.done
  }
}

/** POSTs frames on the SSE command channel. */
export async function postCommands(
  baseUrl: string,
  welcome: { connectionId: string; commandKey?: string },
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/sse/commands`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'sluice-connection': welcome.connectionId,
      'sluice-key': welcome.commandKey ?? '',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: response.status, body: await response.json() }
}

/**
 * A test server and its WebSocket peers per test, all closed after each test. Call once at the
 * top of a file; `start` creates the test's server, `open` connects a peer to it.
 */
export function serverPerTest() {
  let current: TestServer | undefined
  const peers: WsPeer[] = []
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.ws.terminate()
    await current?.close()
    current = undefined
  })
  return {
    async start(options?: SluiceServerOptions): Promise<TestServer> {
      current = await createTestServer(options)
      return current
    },
    /** Opens a WebSocket peer to the test's server; resolves with it and its welcome. */
    async open(query = 'v=1', options: WebSocket.ClientOptions = {}) {
      if (!current) throw new Error('start() the test server before opening peers')
      const opened = await WsPeer.open(current.url, query, options)
      peers.push(opened.peer)
      return opened
    },
  }
}
