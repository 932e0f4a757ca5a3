import type { RealtimeResult, UseRealtimeOptions } from '@sluice/vue'
import { type NuxtError, useAsyncData } from 'nuxt/app'
import type { Ref } from 'vue'
import { seedKey, type TopicSeed, useSeededRealtime } from './seeded-realtime'

/** Options of {@link useAsyncRealtime}: `useRealtime`'s (`subscribe`'s, `enabled`, `throwOnError`), plus the payload key. */
export interface AsyncRealtimeOptions<TData> extends UseRealtimeOptions<TData> {
  /**
   * Where the seed is kept in Nuxt's payload.
   * @default `sluice:<topic>`, and `sluice:<topic>:<filter JSON>` with a filter, so that two
   * filters of one topic keep two seeds
   */
  key?: string
}

/** What {@link useAsyncRealtime} returns (and resolves with). */
export interface AsyncRealtime<TData> {
  /**
   * The topic's state as `useRealtime` gives it (`data`, `status`, `error`, `stale`,
   * `position`, the `isLive`… flags, `resync()`, `refetch()`): the seed's until the
   * subscription starts after mount, then the subscription's.
   */
  state: Readonly<Ref<RealtimeResult<TData>>>
  /** Why the seed could not be fetched; the subscription then starts from the head. */
  error: Ref<NuxtError | undefined | null>
}

/**
 * A topic's state, rendered on the server and live in the browser, with nothing lost or shown
 * twice in between. `fetchSeed` runs where `useAsyncData` runs it (on the server for the first
 * page, in the browser after a client-side navigation) and returns the topic's state with the
 * log position it was read at; Nuxt's payload carries it to the browser, where the
 * subscription resumes after that position.
 *
 * @example
 * const { state: todos } = await useAsyncRealtime(
 *   'todos',
 *   () => $fetch<TopicSeed>('/api/todos'),
 *   { merge: crud<Todo>() },
 * )
 * // <li v-for="todo in todos.data.items" :key="todo.id">{{ todo.title }}</li>
 * @param topic the topic to subscribe to
 * @param fetchSeed reads `{ snapshot, position }` (see {@link TopicSeed}); it must be JSON
 * @param options `useRealtime`'s options (merge, filter, snapshot, enabled...) and the payload `key`
 * @returns `{ state, error }`, also as a promise to `await` in `<script setup>`
 */
export function useAsyncRealtime<TData>(
  topic: string,
  fetchSeed: () => Promise<TopicSeed>,
  options: AsyncRealtimeOptions<TData>,
): AsyncRealtime<TData> & Promise<AsyncRealtime<TData>> {
  const { key = seedKey(topic, options.filter), ...subscribeOptions } = options
  const seed = useAsyncData(key, fetchSeed)
  const result: AsyncRealtime<TData> = {
    state: useSeededRealtime(undefined, topic, () => seed.data.value, subscribeOptions),
    error: seed.error,
  }
  return Object.assign(
    seed.then(() => result),
    result,
  )
}
