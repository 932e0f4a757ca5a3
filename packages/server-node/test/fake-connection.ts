// A connection on an in-memory sink, for unit tests of the core that need fake timers (no
// socket would survive them) or exact control over the outbound buffer size.
import type { ServerFrame } from '@sluice/protocol'
import { Connection } from '../src/core/connection'
import { createRuntime } from '../src/core/create-runtime'
import type { Runtime } from '../src/core/runtime'
import { type Sink, wsWriter } from '../src/core/sink'
import { decodeTextFrame } from '../src/core/ws-frame'
import type { Identity } from '../src/identity'
import type { SluiceServerOptions } from '../src/options'
import type { SluiceServer } from '../src/server-types'

export class FakeSink implements Sink {
  readonly transport = 'ws' as const
  readonly sent: string[] = []
  /** The payloads as handed over, to check that fan-out shares one encoding. */
  readonly raw: Array<string | Buffer> = []
  buffered = 0
  /** When true, every payload sent adds its length to `buffered` (a peer that reads nothing). */
  accumulate = false
  heartbeats = 0
  closedWith: { code: number; reason: string } | undefined
  terminated = false

  send(payload: string | Buffer): void {
    this.raw.push(payload)
    // A Buffer is a complete WebSocket frame (the wsWriter's shared frames).
    this.sent.push(typeof payload === 'string' ? payload : decodeTextFrame(payload))
    if (this.accumulate) this.buffered += payload.length
  }
  bufferedBytes(): number {
    return this.buffered
  }
  heartbeat(): void {
    this.heartbeats++
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason }
  }
  terminate(): void {
    this.terminated = true
  }

  frames(): ServerFrame[] {
    return this.sent.map((text) => JSON.parse(text) as ServerFrame)
  }
}

export function createTestRuntime(options: SluiceServerOptions = {}): Runtime {
  const server = {} as SluiceServer
  return createRuntime({ logger: false, ...options }, () => server).runtime
}

export function openFakeConnection(
  runtime: Runtime,
  init: { identity?: Identity | null; idleTimeout?: boolean } = {},
): { connection: Connection; sink: FakeSink } {
  const sink = new FakeSink()
  const connection = new Connection({
    runtime,
    sink,
    writer: wsWriter,
    identity: init.identity ?? null,
    request: { headers: {}, url: new URL('http://localhost/realtime/ws?v=1') },
    remoteAddress: '127.0.0.1',
    idleTimeout: init.idleTimeout ?? true,
  })
  connection.start()
  return { connection, sink }
}
