/**
 * The host signals the client reacts to: network up/down and the page becoming visible again.
 * The default reads browser globals lazily (at createClient, never at import) and does nothing
 * where they do not exist (Node, workers without `document`).
 */
export interface ClientEnvironment {
  /** False when the host knows it has no network (`navigator.onLine === false`). */
  isOnline(): boolean
  onOnline(listener: () => void): () => void
  onOffline(listener: () => void): () => void
  /** The page became visible: timers may have been frozen while hidden. */
  onVisible(listener: () => void): () => void
}

type Listenable = {
  addEventListener?: (type: string, listener: () => void) => void
  removeEventListener?: (type: string, listener: () => void) => void
}

/** The environment of a browser (or of nothing, on Node): window events and `document.visibilityState`. */
export function browserEnvironment(): ClientEnvironment {
  const host = globalThis as unknown as Listenable & {
    navigator?: { onLine?: boolean }
    document?: Listenable & { visibilityState?: string }
  }
  const listen = (target: Listenable | undefined, type: string, listener: () => void) => {
    if (typeof target?.addEventListener !== 'function') return () => {}
    target.addEventListener(type, listener)
    return () => target.removeEventListener?.(type, listener)
  }
  return {
    isOnline: () => host.navigator?.onLine !== false,
    onOnline: (listener) => listen(host, 'online', listener),
    onOffline: (listener) => listen(host, 'offline', listener),
    onVisible: (listener) =>
      listen(host.document, 'visibilitychange', () => {
        if (host.document?.visibilityState === 'visible') listener()
      }),
  }
}
