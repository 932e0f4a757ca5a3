import type { SubscribeOptions, SubscriptionResult, ThrowOnError } from '@sluice/client'
import type { MaybeRefOrGetter, ShallowRef } from 'vue'

/** Options of {@link useRealtime}: those of `client.subscribe`, plus when to subscribe and whether errors throw. */
export interface UseRealtimeOptions<TData> extends SubscribeOptions<TData> {
  /**
   * Subscribe only while true (a ref or getter is followed). While false nothing is subscribed
   * (no frame is sent), `status` stays `'idle'` and `data` is `initialData` or the strategy's
   * empty state; turning it true subscribes, turning it false again unsubscribes.
   * @default true
   */
  enabled?: MaybeRefOrGetter<boolean>
  /**
   * Throw the subscription's error when its status turns `'error'`, from a watcher of the
   * component, so `onErrorCaptured` in a parent (and `app.config.errorHandler`) gets it; a
   * function decides per error. The thrown value is a `ClientError` with the store's `code` and
   * the `topic`.
   * @default false
   */
  throwOnError?: ThrowOnError
}

/**
 * The value of {@link useRealtime}'s ref: the store's state, one flag per non-idle status, the
 * `stale` flag as a boolean, and `resync()` / `refetch()` to reload the topic (documented in
 * `@sluice/client`'s `SubscriptionResult`, which every binding returns).
 *
 * In Vue, `status` is `'idle'` (and no flag is true) while `enabled` is false, before mount, on
 * the server and after `client.close()`; before mount `resync()` returns false and `refetch()`
 * rejects with `NOT_FOUND`, and `refetch()` rejects with `CLOSED` when the subscription ends
 * first (the scope stopped, or the topic, filter or `enabled` changed).
 */
export type RealtimeResult<TData> = SubscriptionResult<TData>

/** What {@link useRealtime} returns: a read-only shallow ref of the result, plus `suspense()`. */
export type UseRealtime<TData> = Readonly<ShallowRef<RealtimeResult<TData>>> & {
  /**
   * For `async setup()` under `<Suspense>`: subscribes now if the component has not mounted
   * yet, and resolves with the value once the topic is live; rejects with the `ClientError`
   * if it fails first. Resolves at once with the idle value when disabled, and on the server
   * (nothing is subscribed there). If the scope stops first it never settles: the component is
   * gone.
   */
  suspense(): Promise<RealtimeResult<TData>>
}
