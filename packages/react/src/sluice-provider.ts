import type { SluiceClient, TopicSchema } from '@sluice/client'
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
 * `setPresence`...). Pass your topic schema to type it: `useClient<AppTopics>()`.
 *
 * @param required - throw when there is none (the default); `false` returns null instead.
 * @example
 * const client = useClient()
 * await client.publish('todos', { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship' } })
 */
export function useClient<Schema extends TopicSchema = TopicSchema>(required?: true): SluiceClient<Schema>
export function useClient<Schema extends TopicSchema = TopicSchema>(
  required: boolean,
): SluiceClient<Schema> | null
export function useClient<Schema extends TopicSchema = TopicSchema>(
  required = true,
): SluiceClient<Schema> | null {
  const client = useContext(ClientContext)
  if (client === null && required) {
    throw new Error(
      'No Sluice client here: wrap the tree in <SluiceProvider client={createClient(...)}> or pass the client to the hook.',
    )
  }
  return client as SluiceClient<Schema> | null
}
