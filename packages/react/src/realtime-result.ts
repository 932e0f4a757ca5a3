import type { SubscribeOptions, SubscriptionResult, ThrowOnError } from '@sluice/client'

/** Options of {@link useRealtime}: those of `client.subscribe`, plus when to subscribe and whether errors throw. */
export interface UseRealtimeOptions<TData> extends SubscribeOptions<TData> {
  /**
   * Subscribe only while true. While false nothing is subscribed (no frame is sent), `status`
   * stays `'idle'` and `data` is `initialData` or the strategy's empty state; turning it true
   * subscribes, turning it false again unsubscribes. Use it to wait for an id, a login, a tab.
   * @default true
   */
  enabled?: boolean
  /**
   * Throw the subscription's error during render when its status is `'error'`, so the nearest
   * error boundary shows it; a function decides per error. The thrown value is a `ClientError`
   * with the store's `code` and the `topic`.
   * @default false
   */
  throwOnError?: ThrowOnError
}

/**
 * What {@link useRealtime} returns: the store's state, one flag per non-idle status, the
 * `stale` flag as a boolean, and `resync()` / `refetch()` to reload the topic (documented in
 * `@sluice/client`'s `SubscriptionResult`, which every binding returns).
 *
 * In React, `status` is `'idle'` (and no flag is true) while the hook is disabled, before the
 * first commit, on the server and after `client.close()`; before the first commit `resync()`
 * returns false and `refetch()` rejects with `NOT_FOUND`, and `refetch()` rejects with
 * `CLOSED` when the component unsubscribes first. The hook returns the same object until the
 * state changes.
 */
export type RealtimeResult<TData> = SubscriptionResult<TData>
