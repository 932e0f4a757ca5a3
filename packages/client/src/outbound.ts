import { type ClientFrame, DEFAULT_LIMITS, encodeMessage, type Limits } from '@sluice/protocol'

/**
 * Frames written in the same tick leave as one message: a microtask gathers them and sends
 * batches of at most `limits.maxBatch` frames and `limits.maxFrameBytes` bytes. Frames still
 * queued when the connection drops are discarded; the owners of the commands (subscriptions,
 * calls, publishes) send them again on the next open.
 */
export function createOutbound(write: (frames: readonly ClientFrame[]) => void) {
  let queue: ClientFrame[] = []
  let scheduled = false
  let limits: Limits = DEFAULT_LIMITS
  let generation = 0

  const flush = (scheduledIn: number) => {
    scheduled = false
    if (scheduledIn !== generation || queue.length === 0) return
    const frames = queue
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
    if (batch.length > 0) write(batch)
  }

  return {
    send(frame: ClientFrame): void {
      queue.push(frame)
      if (scheduled) return
      scheduled = true
      const scheduledIn = generation
      queueMicrotask(() => flush(scheduledIn))
    },
    setLimits(next: Limits): void {
      limits = next
    },
    /** Drops queued frames: the transport they were meant for is gone. */
    discard(): void {
      queue = []
      generation++
      scheduled = false
    },
  }
}

export type Outbound = ReturnType<typeof createOutbound>
