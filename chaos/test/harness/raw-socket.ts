import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { within } from '../support/wait'

/** How a raw connection ended: what the server had sent, and when it closed. */
export interface RawEnd {
  text: string
  /** ms from the connection's open to its close. */
  afterMs: number
}

/**
 * A TCP client that speaks HTTP (and WebSocket frames) by hand, for what well-behaved clients
 * never do: send a request a byte at a time, stop in the middle, send bytes no parser accepts.
 * It records everything the server sends and when the server closed the connection.
 */
export class RawSocket {
  readonly socket: Socket
  readonly opened = performance.now()
  /** Resolves when the socket closed, from either side. */
  readonly closed: Promise<RawEnd>
  #text = ''
  #dribble: ReturnType<typeof setInterval> | undefined
  #waiters = new Set<() => void>()

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk) => {
      this.#text += chunk.toString('latin1')
      for (const waiter of [...this.#waiters]) waiter()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        clearInterval(this.#dribble)
        for (const waiter of [...this.#waiters]) waiter()
        resolve({ text: this.#text, afterMs: performance.now() - this.opened })
      }),
    )
  }

  static open(port: number): Promise<RawSocket> {
    const socket = connect(port, '127.0.0.1')
    const raw = new RawSocket(socket)
    return within(
      new Promise<RawSocket>((resolve) => socket.once('connect', () => resolve(raw))),
      5_000,
      `a TCP connection to port ${port}`,
    )
  }

  /** Everything the server sent so far, as latin1 text. */
  get text(): string {
    return this.#text
  }

  /** Writes `bytes` one byte every `intervalMs`, stopping when done or when the socket closes. */
  dribble(bytes: string | Buffer, intervalMs: number): void {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes
    let next = 0
    clearInterval(this.#dribble)
    this.#dribble = setInterval(() => {
      if (next >= data.length || this.socket.destroyed) {
        clearInterval(this.#dribble)
        return
      }
      this.socket.write(data.subarray(next, next + 1))
      next++
    }, intervalMs)
  }

  /** Resolves once the server's bytes contain `marker`; fails after `ms`. */
  receive(marker: string, ms: number): Promise<void> {
    return this.until(() => this.#text.includes(marker), ms, `${JSON.stringify(marker)} from the server`)
  }

  /** Resolves once `check()` holds (re-checked on every chunk and on close); fails after `ms`. */
  until(check: () => boolean, ms: number, what: string): Promise<void> {
    const seen = new Promise<void>((resolve) => {
      const waiter = () => {
        if (!check()) return
        this.#waiters.delete(waiter)
        resolve()
      }
      this.#waiters.add(waiter)
      waiter()
    })
    return within(seen, ms, `${what}; got ${JSON.stringify(this.#text)}`)
  }

  destroy(): void {
    clearInterval(this.#dribble)
    this.socket.destroy()
  }
}

/** The request that upgrades `path` to a WebSocket. */
export function upgradeRequest(path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  )
}

/** One masked client WebSocket frame (RFC 6455 § 5.2), payload under 64 KiB. */
export function clientFrame(payload: Buffer, opcode: number): Buffer {
  const mask = randomBytes(4)
  const length = payload.length
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
  const masked = Buffer.alloc(length)
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number)
  return Buffer.concat([header, mask, masked])
}

/** The status line and the parsed JSON body of a raw HTTP answer (the first one in `text`). */
export function httpAnswer(text: string): { statusLine: string; status: number; body: unknown } {
  const end = text.indexOf('\r\n\r\n')
  const head = end < 0 ? text : text.slice(0, end)
  const statusLine = head.split('\r\n')[0] ?? ''
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)
  const raw = end < 0 ? '' : text.slice(end + 4, length ? end + 4 + Number(length[1]) : undefined)
  let body: unknown = raw
  try {
    body = JSON.parse(raw)
  } catch {
    // Not JSON: left as text, for the assertion to show.
  }
  return { statusLine, status: Number(statusLine.split(' ')[1]), body }
}

/** One frame the server sent on a WebSocket (servers never mask). */
export interface ServerWsFrame {
  opcode: number
  payload: Buffer
}

/** The complete WebSocket frames at the start of `bytes` (RFC 6455 § 5.2); an incomplete tail is left out. */
export function serverWsFrames(bytes: Buffer): ServerWsFrame[] {
  const frames: ServerWsFrame[] = []
  let at = 0
  while (at + 2 <= bytes.length) {
    const opcode = (bytes[at] as number) & 0x0f
    let length = (bytes[at + 1] as number) & 0x7f
    let start = at + 2
    if (length === 126) {
      if (start + 2 > bytes.length) break
      length = bytes.readUInt16BE(start)
      start += 2
    } else if (length === 127) {
      if (start + 8 > bytes.length) break
      length = Number(bytes.readBigUInt64BE(start))
      start += 8
    }
    if (start + length > bytes.length) break
    frames.push({ opcode, payload: bytes.subarray(start, start + length) })
    at = start + length
  }
  return frames
}
