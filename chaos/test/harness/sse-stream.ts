import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http'
import type { ServerFrame } from '@sluice/protocol'
import { within } from '../support/wait'

/** One Server-Sent Event as it arrived, with its arrival time on performance.now(). */
export interface ArrivedEvent {
  event: string | undefined
  id: string | undefined
  data: string
  at: number
}

/**
 * A raw SSE reader over node:http, for the fault tests: it records every event with its
 * arrival time (so a test can bound the delay from publish to arrival), parses the frames, and
 * lets a test wait for a frame with a deadline. A refused connect resolves with its status and
 * body instead. The socket is its own (no agent), so closing it closes exactly one connection.
 */
export class SseStream {
  readonly events: ArrivedEvent[] = []
  readonly frames: ServerFrame[] = []
  /** Resolves once the stream ended, from either side. */
  readonly ended: Promise<void>
  #markEnded!: () => void
  #waiters = new Set<() => void>()
  #request: ClientRequest | undefined
  #buffer = ''

  private constructor() {
    this.ended = new Promise((resolve) => {
      this.#markEnded = resolve
    })
  }

  /**
   * Opens `url` (a full URL, query included) and resolves once the response headers arrived:
   * `stream` on a 200, else `status` and the parsed JSON `body` of the refusal.
   */
  static open(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; stream?: SseStream; body?: unknown }> {
    const stream = new SseStream()
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false })
      stream.#request = req
      req.on('error', (error) => {
        stream.#end()
        reject(error)
      })
      req.on('response', (res) => {
        const status = res.statusCode ?? 0
        res.on('error', () => stream.#end())
        res.on('close', () => stream.#end())
        if (status !== 200) {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            text += chunk
          })
          res.on('end', () => {
            let body: unknown = text
            try {
              body = JSON.parse(text)
            } catch {
              // Left as text: the caller's assertion on the body says what came.
            }
            resolve({ status, headers: res.headers, body })
          })
          return
        }
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => stream.#read(chunk))
        resolve({ status, headers: res.headers, stream })
      })
      req.end()
    })
  }

  /** Opens `url` and fails unless the server answered with a stream. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const opened = await SseStream.open(url, headers)
    if (!opened.stream) {
      throw new Error(`SSE connect to ${url} refused: ${opened.status} ${JSON.stringify(opened.body)}`)
    }
    return opened.stream
  }

  /** Resolves with the first frame (from the start) matching `predicate`, or fails after `ms`. */
  async frame(predicate: (frame: ServerFrame) => boolean, ms: number, what: string): Promise<ServerFrame> {
    await this.until(() => this.frames.some(predicate), ms, what)
    return this.frames.find(predicate) as ServerFrame
  }

  /** Resolves once `check()` holds (re-checked on every event), or fails naming `what` after `ms`. */
  until(check: () => boolean, ms: number, what: string): Promise<void> {
    const reached = new Promise<void>((resolve) => {
      const waiter = () => {
        if (!check()) return
        this.#waiters.delete(waiter)
        resolve()
      }
      this.#waiters.add(waiter)
      waiter()
    })
    return within(reached, ms, `${what}; frames so far: ${JSON.stringify(this.frames.slice(-5))}`)
  }

  /** Closes the connection from the client side. */
  close(): Promise<void> {
    this.#request?.destroy()
    return this.ended
  }

  #end(): void {
    this.#markEnded()
  }

  // SSE framing (WHATWG HTML § 9.2.6): lines end in LF, CR or CRLF; a blank line dispatches.
  #read(chunk: string): void {
    this.#buffer += chunk
    const at = performance.now()
    for (;;) {
      const blank = /\r\n\r\n|\n\n|\r\r/.exec(this.#buffer)
      if (blank === null) break
      const block = this.#buffer.slice(0, blank.index)
      this.#buffer = this.#buffer.slice(blank.index + blank[0].length)
      let event: string | undefined
      let id: string | undefined
      const data: string[] = []
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line.startsWith(':') || line === '') continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'id') id = value
        else if (field === 'data') data.push(value)
      }
      if (data.length === 0) continue
      const text = data.join('\n')
      this.events.push({ event, id, data: text, at })
      this.frames.push(JSON.parse(text) as ServerFrame)
    }
    for (const waiter of [...this.#waiters]) waiter()
  }
}
