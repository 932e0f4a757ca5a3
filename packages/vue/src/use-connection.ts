import type { ConnectionState } from '@sluice/client'
import { type ShallowRef, shallowRef } from 'vue'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'
import type { RealtimeClient } from './realtime-client'
import { useClient } from './sluice-plugin'

/**
 * The connection's status, transport and retry state as a read-only shallow ref. Without an
 * argument it uses the provided client (see {@link sluicePlugin}).
 *
 * @example
 * const connection = useConnection(client)
 * // <Banner v-if="connection.status === 'reconnecting'">Reconnecting…</Banner>
 */
export function useConnection(client?: RealtimeClient): Readonly<ShallowRef<ConnectionState>> {
  const $connection = (client ?? useClient()).$connection
  const state = shallowRef($connection.get())
  let stop: (() => void) | null = null
  onClient(() => {
    state.value = $connection.get()
    stop = $connection.listen(() => {
      state.value = $connection.get()
    })
  })
  onScopeStop('useConnection', () => stop?.())
  return state
}
