import WebSocket from 'ws'
import { within } from '../support/wait'

/**
 * A WebSocket client that keeps every message the server sent (parsed, batches flattened) and
 * how the connection closed, for tests that send what no SDK would.
 */
export class WsPeer {
  /** Every frame received, in order; a batch contributes its frames. */
  readonly frames: unknown[] = []
  /** Messages that were not JSON (none are expected: a test asserts this stays empty). */
  readonly unparsable: string[] = []
  /** Resolves with the close code and reason once the connection closed. */
  readonly closed: Promise<{ code: number; reason: string }>
  #waiters = new Set<() => void>()
  #closedWith: { code: number; reason: string } | undefined

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = data.toString()
      try {
        if (isBinary) throw new Error('binary')
        const parsed: unknown = JSON.parse(text)
        for (const frame of Array.isArray(parsed) ? parsed : [parsed]) this.frames.push(frame)
      } catch {
        this.unparsable.push(text)
      }
      this.#wake()
    })
    ws.on('error', () => {})
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.#closedWith = { code, reason: reason.toString() }
        this.#wake()
        resolve(this.#closedWith)
      }),
    )
  }

  /** Opens `url` (ws://…/ws?v=1) and resolves once the server accepted the upgrade. */
  static async open(url: string): Promise<WsPeer> {
    const peer = new WsPeer(new WebSocket(url))
    await within(
      new Promise<void>((resolve, reject) => {
        peer.ws.once('open', () => resolve())
        peer.ws.once('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused: ${res.statusCode}`)),
        )
      }),
      5_000,
      `a WebSocket to ${url}`,
    )
    return peer
  }

  /** How it closed, once it has. */
  get closedWith(): { code: number; reason: string } | undefined {
    return this.#closedWith
  }

  /** Resolves once `check()` holds or the connection closed (re-checked on every message). */
  settle(check: () => boolean, ms: number, what: string): Promise<void> {
    const settled = new Promise<void>((resolve) => {
      const waiter = () => {
        if (!check() && this.#closedWith === undefined) return
        this.#waiters.delete(waiter)
        resolve()
      }
      this.#waiters.add(waiter)
      waiter()
    })
    return within(settled, ms, `${what}; last frames: ${JSON.stringify(this.frames.slice(-5))}`)
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}
