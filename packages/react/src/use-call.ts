import type { CallOptions, SluiceClient } from '@sluice/client'
import { useCallback } from 'react'
import { useClient } from './sluice-provider'
import { type MutationState, useMutation } from './use-mutation'

/** The part of a client `useCall` needs. */
export type CallClient = Pick<SluiceClient, 'call'>

/** The arguments a procedure takes (JSON). */
export type CallArgs = Parameters<SluiceClient['call']>[1]

/** What {@link useCall} returns. */
export interface UseCallResult<TResult> extends MutationState<TResult> {
  /** Calls; the outcome is in `isPending`, `error` and `data` (nothing to catch). */
  call(args?: CallArgs, options?: CallOptions): void
  /** Calls and resolves with the result, or rejects with the `ClientError` (also set as `error`). */
  callAsync(args?: CallArgs, options?: CallOptions): Promise<TResult>
  /** Back to idle (no pending, no error, no data). */
  reset(): void
}

/**
 * Calls the server procedure `name` with mutation state, like TanStack Query's `useMutation`.
 * `TResult` is the type you expect the procedure to return (the client does not check it).
 *
 * @example
 * const stats = useCall<{ open: number }>(client, 'todos.stats')
 * <button onClick={() => stats.call({ owner: 'ann' })}>{stats.data?.open ?? '?'}</button>
 */
export function useCall<TResult = unknown>(client: CallClient, name: string): UseCallResult<TResult>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useCall<TResult = unknown>(name: string): UseCallResult<TResult>
export function useCall<TResult = unknown>(...args: [CallClient, string] | [string]): UseCallResult<TResult> {
  const withClient = args.length === 2
  const fromContext = useClient(!withClient)
  const [client, name] = withClient ? args : [fromContext!, args[0]]
  const perform = useCallback(
    (callArgs?: CallArgs, options?: CallOptions) => client.call(name, callArgs, options) as Promise<TResult>,
    [client, name],
  )
  const { runAsync, run, ...state } = useMutation(perform)
  return { ...state, call: run, callAsync: runAsync }
}
