import { createContext, createElement, type ReactNode, useContext } from 'react'
import type { RealtimeClient } from './realtime-client'

const ClientContext = createContext<RealtimeClient | null>(null)

/** Props of {@link SluiceProvider}. */
export interface SluiceProviderProps {
  client: RealtimeClient
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
 * The client of the nearest {@link SluiceProvider}.
 *
 * @param required - throw when there is none (the default); `false` returns null instead.
 */
export function useClient(required?: true): RealtimeClient
export function useClient(required: boolean): RealtimeClient | null
export function useClient(required = true): RealtimeClient | null {
  const client = useContext(ClientContext)
  if (client === null && required) {
    throw new Error(
      'No Sluice client here: wrap the tree in <SluiceProvider client={createClient(...)}> or pass the client to the hook.',
    )
  }
  return client
}
