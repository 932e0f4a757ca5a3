import type { CallOptions, SluiceClient } from '@sluice/client'
import { type MaybeRefOrGetter, toValue } from 'vue'
import { type MutationState, mutationState } from './mutation-state'

/** The part of a client `useCall` needs. */
export type CallClient = Pick<SluiceClient, 'call'>

/** The JSON arguments a procedure takes (`client.call`'s second parameter). */
export type CallArgs = Parameters<SluiceClient['call']>[1]

/** What {@link useCall} returns. */
export interface UseCall<TResult> extends MutationState<TResult> {
  /**
   * Calls the procedure; resolves with its result, or with undefined when it failed (the
   * reason is in `error`). Never rejects.
   */
  call(args?: CallArgs, options?: CallOptions): Promise<TResult | undefined>
}

/**
 * Calls the server procedure `name` (a ref or getter is read at each call) with mutation state:
 * `isPending`, `error`, `data` (the last result) and `reset()`. `TResult` is what the
 * procedure returns; the client does not check it. It holds no subscription, so it may be
 * called anywhere, in or out of a component.
 *
 * @example
 * const stats = useCall<{ open: number }>(client, 'todos.stats')
 * // <button @click="stats.call({ list: 'home' })">Count</button> {{ stats.data.value?.open }}
 */
export function useCall<TResult = unknown>(
  client: CallClient,
  name: MaybeRefOrGetter<string>,
): UseCall<TResult> {
  const { mutate, ...state } = mutationState(
    (args?: CallArgs, options?: CallOptions) => client.call(toValue(name), args, options) as Promise<TResult>,
  )
  return { ...state, call: mutate }
}
