import type {
  CallClient,
  CallOptions,
  CallParameters,
  CallResultOf,
  Json,
  ProcedureName,
  ProcedureSchema,
  ProceduresOf,
  UntypedProcedureName,
} from '@sluice/client'
import { useCallback } from 'react'
import { useClient } from './sluice-provider'
import { type MutationState, useMutation } from './use-mutation'

export type { CallArgs, CallClient } from '@sluice/client'

/**
 * What {@link useCall} returns. With a client typed by the server's procedures (`Procedures`,
 * `N`), `call` takes that procedure's arguments; else any JSON-compatible arguments.
 */
export interface UseCallResult<
  TResult,
  Procedures extends ProcedureSchema = ProcedureSchema,
  N extends string = string,
> extends MutationState<TResult> {
  /** Calls; the outcome is in `isPending`, `error` and `data` (nothing to catch). */
  call<TArgs = Json>(...args: CallParameters<Procedures, N, TArgs>): void
  /** Calls and resolves with the result, or rejects with the `ClientError` (also set as `error`). */
  callAsync<TArgs = Json>(...args: CallParameters<Procedures, N, TArgs>): Promise<TResult>
  /** Back to idle (no pending, no error, no data). */
  reset(): void
}

/**
 * Calls the server procedure `name` with mutation state, like TanStack Query's `useMutation`.
 * With an untyped client, `TResult` is the type you expect the procedure to return (the client
 * does not check it).
 *
 * @example
 * const stats = useCall<{ open: number }>(client, 'todos.stats')
 * <button onClick={() => stats.call({ owner: 'ann' })}>{stats.data?.open ?? '?'}</button>
 */
export function useCall<TResult = unknown, Client extends CallClient = CallClient>(
  client: Client,
  name: UntypedProcedureName<Client>,
): UseCallResult<TResult>
/**
 * The same with a client typed by the server's procedures (`createClient<Topics,
 * typeof procedures>()`): the name and arguments are checked and `data` has the handler's
 * result type. Listed last so that a name the server lacks is reported for it, naming it.
 *
 * @example
 * const stats = useCall(client, 'todos.stats')
 * stats.call({ owner: 'ann' }) // checked against the procedure's input schema
 */
export function useCall<
  Client extends CallClient<ProcedureSchema>,
  N extends ProcedureName<ProceduresOf<Client>>,
>(client: Client, name: N): UseCallResult<CallResultOf<ProceduresOf<Client>, N>, ProceduresOf<Client>, N>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useCall<TResult = unknown>(name: string): UseCallResult<TResult>
export function useCall<TResult = unknown>(...args: [CallClient, string] | [string]): UseCallResult<TResult> {
  const withClient = args.length === 2
  const fromContext = useClient(!withClient)
  const [client, name] = withClient ? args : [fromContext!, args[0]]
  const perform = useCallback(
    // The signatures above checked the arguments: the client sends them as JSON.
    (callArgs?: unknown, options?: CallOptions) =>
      (client.call as (name: string, args?: unknown, options?: CallOptions) => Promise<unknown>)(
        name,
        callArgs,
        options,
      ) as Promise<TResult>,
    [client, name],
  )
  const { runAsync, run, ...state } = useMutation(perform)
  return { ...state, call: run, callAsync: runAsync }
}
