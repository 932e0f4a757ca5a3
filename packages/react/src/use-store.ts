import { useCallback, useSyncExternalStore } from 'react'

/** Any store with nanostores' read side: `client.$connection`, `subscription.$state`, an atom of yours. */
export interface ReadableStore<T> {
  get(): T
  listen(listener: () => void): () => void
}

/**
 * Reads a store and re-renders on change, like `@nanostores/react`'s `useStore`. The server
 * render reads the current value and subscribes to nothing.
 *
 * @example const connection = useStore(client.$connection)
 */
export function useStore<T>($store: ReadableStore<T>): T {
  const subscribe = useCallback((onChange: () => void) => $store.listen(() => onChange()), [$store])
  const get = useCallback(() => $store.get(), [$store])
  return useSyncExternalStore(subscribe, get, get)
}
