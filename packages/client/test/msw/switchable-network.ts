import type { ClientEnvironment } from '@sluice/client'

/** A host whose network the test switches off and on (Node has no `online`/`offline` events). */
export function switchableNetwork() {
  let online = true
  const listeners = { online: new Set<() => void>(), offline: new Set<() => void>() }
  const on = (set: Set<() => void>) => (listener: () => void) => {
    set.add(listener)
    return () => set.delete(listener)
  }
  const environment: ClientEnvironment = {
    isOnline: () => online,
    onOnline: on(listeners.online),
    onOffline: on(listeners.offline),
    onVisible: () => () => {},
  }
  return {
    environment,
    set(value: boolean) {
      online = value
      for (const listener of listeners[value ? 'online' : 'offline']) listener()
    },
  }
}
