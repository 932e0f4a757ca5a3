import { type ClientFrame, DEFAULT_LIMITS, encodeMessage } from '@sluice/protocol'

/**
 * Frames written in the same tick leave as one message: a microtask gathers them and sends
 * batches of at most `limits.maxBatch` frames and `limits.maxFrameBytes` bytes. Frames still
 * queued when the connection drops are discarded; the owners of the commands (subscriptions,
 * calls, publishes) send them again on the next open.
 */
export function createOutbound(write: (frames: readonly ClientFrame[]) => void) {
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
          // goes over the server's limit; a single oversized frame is still sent and refused alone.
          const size = encodeMessage(frame).length * 3 + 1
          if (batch.length > 0 && (batch.length >= limits.maxBatch || bytes + size > limits.maxFrameBytes)) {
            write(batch)
            batch = []
            bytes = 2
          }
          batch.push(frame)
          bytes += size
        }
        write(batch)
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
