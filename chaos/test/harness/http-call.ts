import { Agent, request } from 'node:http'

/** An HTTP answer: status, headers, and the body parsed as JSON (the raw text when it is not JSON). */
export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

/**
 * Sends one request and reads the whole answer, over a keep-alive agent so that a fuzz run of
 * thousands of requests does not open thousands of connections (a refusal that closes its
 * connection costs the agent a new one, nothing more).
 */
export class HttpCaller {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 })

  constructor(readonly port: number) {}

  call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method, path, headers, agent: this.#agent },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            text += chunk
          })
          res.on('end', () => {
            let parsed: unknown = text
            try {
              parsed = JSON.parse(text)
            } catch {
              // Left as text: the caller's assertion on the body says what came.
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}
