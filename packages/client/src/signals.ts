import type { Json, SignalFrame } from '@sluice/protocol'

/** Receives a signal's data: undefined when the server sent none. */
export type SignalHandler<T = Json | undefined> = (data: T) => void

/**
 * The app's handlers of `signal` frames, by name. A signal is no topic event: it is handed to
 * the handlers of its name as it arrives (no store, no position, nothing replayed), and a signal
 * nobody handles is dropped.
 *
 * A handler that throws must not stop the frames after the signal in the same server message (a
 * batch may carry events next): its error is rethrown from a microtask, where the platform reports
 * it as uncaught, and the other handlers still run. One flat set of entries keeps this small; apps
 * register a handful of names.
 */
export function createSignals() {
  const entries = new Set<[string, SignalHandler]>()
  return {
    on(name: string, handler: SignalHandler): () => void {
      const entry: [string, SignalHandler] = [name, handler]
      entries.add(entry)
      return () => entries.delete(entry)
    },
    handle({ name, data }: SignalFrame): void {
      for (const [entryName, handler] of [...entries]) {
        if (entryName !== name) continue
        try {
          handler(data)
        } catch (error) {
          queueMicrotask(() => {
            throw error
          })
        }
      }
    },
  }
}
