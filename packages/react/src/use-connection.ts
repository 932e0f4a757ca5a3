import type { ConnectionState } from '@sluice/client'
import type { RealtimeClient } from './realtime-client'
import { useClient } from './sluice-provider'
import { useStore } from './use-store'

/**
 * The connection's status, transport and retry state, re-rendering when they change. Without
 * an argument it uses the client of the nearest {@link SluiceProvider}.
 *
 * @example
 * const { status, transport } = useConnection(client)
 * if (status === 'reconnecting') return <Banner>Reconnecting…</Banner>
 */
export function useConnection(client?: RealtimeClient): ConnectionState {
  const fromContext = useClient(client === undefined)
  return useStore((client ?? fromContext!).$connection)
}
