import type { Json, MergeStrategy, Position, SubscribeOptions } from '@sluice/client'
import { initialSubscriptionState } from '@sluice/client'
import { type RealtimeClient, type RealtimeResult, type UseRealtimeOptions, useRealtime } from '@sluice/vue'
import { computed, type Ref } from 'vue'

/**
 * A topic's state as the server read it for rendering: snapshot-shaped JSON (what the merge
 * strategy's `fromSnapshot` takes: for `crud()`, the array of items) and the log position it
 * includes every event up to. Null position: the state is not tied to the log, so the browser
 * subscribes from the head (pair it with `snapshot: true` so the store catches up).
 */
export interface TopicSeed {
  snapshot: Json
  position: Position | null
}

/**
 * Where a topic's seed is kept in Nuxt's payload: `sluice:<topic>`, and with a filter
 * `sluice:<topic>:<filter JSON>`, so that two filters of one topic keep two seeds.
 */
export function seedKey(topic: string, filter: SubscribeOptions<unknown>['filter']): string {
  return filter === undefined ? `sluice:${topic}` : `sluice:${topic}:${JSON.stringify(filter)}`
}

type Seeded<TData> = Pick<SubscribeOptions<TData>, 'initialData' | 'initialPosition'>

function seededOptions<TData>(
  merge: MergeStrategy<TData>,
  seed: TopicSeed | null | undefined,
): Seeded<TData> {
  if (!seed) return {}
  // As the client does with a snapshot: a strategy without fromSnapshot takes the data as is.
  const data = merge.fromSnapshot ? merge.fromSnapshot(seed.snapshot) : (seed.snapshot as TData)
  const seeded: Seeded<TData> = { initialData: data }
  if (seed.position) seeded.initialPosition = seed.position
  return seeded
}

/**
 * `useRealtime` started from a seed: the seeded state is what renders (on the server and in
 * the browser's first render, so hydration matches and nothing flashes), and the subscription
 * that starts after mount resumes after the seed's position, so the events published since the
 * server read it are replayed once and none it already holds comes again.
 *
 * `seed` is read lazily because on the server it arrives after this is called (it comes from
 * an awaited fetch). The Nuxt wrapper is `useAsyncRealtime`; this is the part without Nuxt.
 *
 * @param client the client, or undefined for the provided one (see `sluicePlugin`)
 */
export function useSeededRealtime<TData>(
  client: RealtimeClient | undefined,
  topic: string,
  seed: () => TopicSeed | null | undefined,
  options: UseRealtimeOptions<TData>,
): Readonly<Ref<RealtimeResult<TData>>> {
  // Computed once per seed: useRealtime reads its options several times (filter, enabled, start),
  // and fromSnapshot is linear in the snapshot.
  const seeded = computed(() => seededOptions(options.merge, seed()))
  const subscribeOptions = (): UseRealtimeOptions<TData> => ({ ...options, ...seeded.value })
  const live = client ? useRealtime(client, topic, subscribeOptions) : useRealtime(topic, subscribeOptions)
  // useRealtime computes its first state when called, which on the server is before the seed
  // has arrived, and keeps that object until its subscription starts after mount. Until then
  // the state to show is the seed's (with that idle result's flags, all false, and its
  // resync/refetch); from then on the subscription's, which started from the seed.
  const unstarted = live.value
  return computed(() =>
    live.value === unstarted
      ? {
          ...unstarted,
          ...initialSubscriptionState({ merge: options.merge, ...seeded.value }),
        }
      : live.value,
  )
}
