import type { ClientFrame, ServerFrame, WelcomeFrame } from '@sluice/protocol'
import type { ClientError } from '../client-error'
import type { TransportKind } from '../connection-state'
import type { TimerProvider } from '../timers'

/** What a transport reports to the connection that owns it. Nothing is reported after `onClose`. */
export interface TransportHandlers {
  /** The handshake finished: the server's welcome frame. */
  onOpen(welcome: WelcomeFrame): void
  /** Decoded frames of one inbound message (a batch arrives as one call); empty when none was usable. */
  onFrames(frames: ServerFrame[]): void
  /** Anything arrived, frames or heartbeat comments: the connection is alive. */
  onActivity(): void
  /**
   * The transport is gone. `opened` tells whether a welcome came first: a transport that never
   * opened is a candidate for fallback. `error` is null after a local `close()`.
   */
  onClose(info: { opened: boolean; error: ClientError | null }): void
}

export interface TransportConnectOptions {
  /** The http(s) base URL, e.g. `https://example.com/realtime`. */
  url: string
  token: string | null
  handlers: TransportHandlers
  timers: TimerProvider
  /** Fail (`NETWORK`) when no welcome arrives in time. */
  handshakeTimeoutMs: number
}

/** One connection attempt over one transport. */
export interface Transport {
  readonly kind: TransportKind
  /** Sends frames as one message (a single frame unwrapped, several as a batch array). */
  send(frames: readonly ClientFrame[]): void
  /** Closes without reporting an error; `onClose` still fires once. */
  close(): void
}

/** Opens a transport. Errors are reported through `handlers.onClose`, never thrown. */
export type TransportFactory = (options: TransportConnectOptions) => Transport
