import type { ProcedureSchema, SluiceClient, TopicSchema } from '@sluice/client'
import { createContext, createElement, type ReactNode, useContext } from 'react'
import type { RealtimeClient } from './realtime-client'

// The context holds whatever was provided: a real client, or a stand-in that has only the part
// the hooks read (subscribe + $connection). useClient() types it as the whole client because an
// app provides a createClient() result; a test double provides what its components call.
const ClientContext = createContext<RealtimeClient | null>(null)

/** Props of {@link SluiceProvider}. */
export interface SluiceProviderProps {
  /** A `createClient()` result, or a stand-in with the methods the tree below uses (tests). */
  client: SluiceClient<TopicSchema> | RealtimeClient
  children?: ReactNode
}

/**
 * Makes a client available to {@link useClient} and to the client-less forms of
 * `useRealtime(topic, options)` and `useConnection()` below it.
 *
 * @example
 * <SluiceProvider client={client}><App /></SluiceProvider>
 */
export function SluiceProvider({ client, children }: SluiceProviderProps) {
  return createElement(ClientContext.Provider, { value: client }, children)
}

/**
 * The client of the nearest {@link SluiceProvider}: the whole client (`publish`, `call`,
 * `setPresence`...). Pass your topic schema to type it, and the server's procedures to type
 * `call`: `useClient<AppTopics, AppProcedures>()`.
 *
 * @param required - throw when there is none (the default); `false` returns null instead.
 * @example
 * const client = useClient()
 * await client.publish('todos', { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship' } })
 */
export function useClient<
  Schema extends TopicSchema = TopicSchema,
  Procedures extends ProcedureSchema = ProcedureSchema,
>(required?: true): SluiceClient<Schema, Procedures>
export function useClient<
  Schema extends TopicSchema = TopicSchema,
  Procedures extends ProcedureSchema = ProcedureSchema,
>(required: boolean): SluiceClient<Schema, Procedures> | null
export function useClient<
  Schema extends TopicSchema = TopicSchema,
  Procedures extends ProcedureSchema = ProcedureSchema,
>(required = true): SluiceClient<Schema, Procedures> | null {
  const client = useContext(ClientContext)
  if (client === null && required) {
    throw new Error(
      'No Sluice client here: wrap the tree in <SluiceProvider client={createClient(...)}> or pass the client to the hook.',
    )
  }
  return client as SluiceClient<Schema, Procedures> | null
}
