import type { HttpReply } from './http-request'

// Statuses whose Response must not have a body (the constructor throws on one).
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/**
 * An {@link HttpReply} that collects what the endpoints write into a web-standard `Response`:
 * `end()` settles {@link response} with the body, {@link stream} with a streaming body. A HEAD
 * request's answer keeps its headers (content-length included) and drops the body.
 */
export class FetchReply implements HttpReply {
  readonly response: Promise<Response>
  #status = 200
  readonly #headers: Record<string, string> = {}
  #sent = false
  #settled = false
  #resolve!: (response: Response) => void
  #reject!: (error: Error) => void

  /** @param head the request is a HEAD: the answer carries no body */
  constructor(readonly head: boolean) {
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  get headersSent(): boolean {
    return this.#sent
  }

  setHeader(name: string, value: string | number): void {
    this.#headers[name.toLowerCase()] = String(value)
  }

  getHeader(name: string): string | undefined {
    return this.#headers[name.toLowerCase()]
  }

  writeHead(status: number, headers: Record<string, string | number> = {}): void {
    this.#status = status
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value)
    this.#sent = true
  }

  end(body?: string): void {
    this.#sent = true
    const empty = this.head || NULL_BODY_STATUSES.has(this.#status) || body === undefined
    this.#settle(new Response(empty ? null : body, { status: this.#status, headers: this.#headers }))
  }

  /** Answers with a streaming body (an SSE stream), with the headers set so far and these. */
  stream(status: number, headers: Record<string, string>, body: ReadableStream<Uint8Array>): void {
    this.writeHead(status, headers)
    this.#settle(new Response(body, { status, headers: this.#headers }))
  }

  /** Answers with a Response the host made (the answer to a WebSocket upgrade). */
  respond(response: Response): void {
    this.#sent = true
    this.#settle(response)
  }

  /** Before an answer: the handler's promise rejects, and the host fails the request its own way. */
  destroy(): void {
    if (this.#settled) return
    this.#settled = true
    this.#reject(new Error(`sluice: the answer to this request was cut before it began`))
  }

  #settle(response: Response): void {
    if (this.#settled) return
    this.#settled = true
    this.#resolve(response)
  }
}
