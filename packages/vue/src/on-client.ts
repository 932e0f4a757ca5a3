import { getCurrentInstance, onMounted } from 'vue'

/**
 * Runs `start` after mount inside a component, at once outside one (a bare effectScope, a
 * store). Mount never happens during server rendering, and nothing disposes a component's
 * scope there, so this is what keeps the server from subscribing and leaking listeners; it
 * also makes the first browser render match the server's HTML.
 */
export function onClient(start: () => void): void {
  if (getCurrentInstance()) onMounted(start)
  else start()
}
