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
  // Subscribes `listener` to `type` events of `target`, if it has events at all; returns the unsubscribe.
  const on = (target: Listenable | undefined, type: string) => (listener: () => void) => {
    if (typeof target?.addEventListener !== 'function') return () => {}
    target.addEventListener(type, listener)
    return () => target.removeEventListener?.(type, listener)
  }
  const onVisibilityChange = on(host.document, 'visibilitychange')
  return {
    isOnline: () => host.navigator?.onLine !== false,
    onOnline: on(host, 'online'),
    onOffline: on(host, 'offline'),
    onVisible: (listener) =>
      onVisibilityChange(() => {
        if (host.document?.visibilityState === 'visible') listener()
      }),
  }
}
