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
import { type MaybeRefOrGetter, toValue } from 'vue'
import { type MutationState, mutationState } from './mutation-state'

export type { CallArgs, CallClient } from '@sluice/client'

/**
 * What {@link useCall} returns. With a client typed by the server's procedures (`Procedures`,
 * `N`), `call` takes that procedure's arguments; else any JSON-compatible arguments.
 */
export interface UseCall<
  TResult,
  Procedures extends ProcedureSchema = ProcedureSchema,
  N extends string = string,
> extends MutationState<TResult> {
  /**
   * Calls the procedure; resolves with its result, or with undefined when it failed (the
   * reason is in `error`). Never rejects.
   */
  call<TArgs = Json>(...args: CallParameters<Procedures, N, TArgs>): Promise<TResult | undefined>
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
export function useCall<TResult = unknown, Client extends CallClient = CallClient>(
  client: Client,
  name: MaybeRefOrGetter<UntypedProcedureName<Client>>,
): UseCall<TResult>
/**
 * The same with a client typed by the server's procedures (`createClient<Topics,
 * typeof procedures>()`): the name and arguments are checked and `data` has the handler's
 * result type. Listed last so that a name the server lacks is reported for it, naming it.
 *
 * @example
 * const stats = useCall(client, 'todos.stats')
 * // <button @click="stats.call({ owner: 'ann' })">Count</button> {{ stats.data.value?.open }}
 */
export function useCall<Client extends CallClient, N extends ProcedureName<ProceduresOf<Client>>>(
  client: Client,
  name: MaybeRefOrGetter<N>,
): UseCall<CallResultOf<ProceduresOf<Client>, N>, ProceduresOf<Client>, N>
export function useCall<TResult = unknown>(
  client: CallClient,
  name: MaybeRefOrGetter<string>,
): UseCall<TResult> {
  // The signatures above checked the arguments: the client sends them as JSON.
  const call = client.call as (name: string, args?: unknown, options?: CallOptions) => Promise<unknown>
  const { mutate, ...state } = mutationState(
    (args?: unknown, options?: CallOptions) => call(toValue(name), args, options) as Promise<TResult>,
  )
  return { ...state, call: mutate }
}
