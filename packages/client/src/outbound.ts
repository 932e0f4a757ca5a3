import { type ClientFrame, DEFAULT_LIMITS, encodeMessage } from '@sluice/protocol'

/**
 * Frames written in the same tick leave as one message: a microtask gathers them and sends
 * batches of at most `limits.maxBatch` frames and `limits.maxFrameBytes` bytes. Frames still
 * queued when the connection drops are discarded; the owners of the commands (subscriptions,
 * calls, publishes) send them again on the next open.
 *
 * A frame over `maxFrameBytes` on its own is never sent: the server would close the connection
 * on it (1009), and the command's owner would send it again after the reconnect, in a loop.
 * `refuse` gets it instead, with its size in bytes.
 */
export function createOutbound(
  write: (frames: readonly ClientFrame[]) => void,
  refuse: (frame: ClientFrame, bytes: number, maxFrameBytes: number) => void = () => {},
) {
  let queue: ClientFrame[] = []
  let limits = DEFAULT_LIMITS

  return {
    send(frame: ClientFrame): void {
      // The first frame of a tick schedules the flush of this queue; a discard replaces the queue.
      if (queue.push(frame) > 1) return
      const frames = queue
      queueMicrotask(() => {
        if (frames !== queue) return
        queue = []
        let batch: ClientFrame[] = []
        let bytes = 2
        for (const frame of frames) {
          // Byte size estimated from UTF-16 length ×3, the UTF-8 worst case, so a batch never
          // goes over the server's limit; only a frame whose estimate is over is measured.
          const text = encodeMessage(frame)
          let size = text.length * 3 + 1
          if (size > limits.maxFrameBytes) {
            const bytes = new TextEncoder().encode(text).length
            if (bytes > limits.maxFrameBytes) {
              refuse(frame, bytes, limits.maxFrameBytes)
              continue
            }
            size = bytes + 1
          }
          if (batch.length > 0 && (batch.length >= limits.maxBatch || bytes + size > limits.maxFrameBytes)) {
            write(batch)
            batch = []
            bytes = 2
          }
          batch.push(frame)
          bytes += size
        }
        if (batch.length) write(batch)
      })
    },
    setLimits(next: typeof limits): void {
      limits = next
    },
    /** Drops queued frames: the transport they were meant for is gone. */
    discard(): void {
      queue = []
    },
  }
}

export type Outbound = ReturnType<typeof createOutbound>
