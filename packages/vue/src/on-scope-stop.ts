import { getCurrentScope, onScopeDispose } from 'vue'

/**
 * Registers `stop` for when the current effect scope stops. Called outside any scope (module
 * top level, an event handler, after an `await` in setup) there is nothing to stop the
 * composable, so its subscription would live forever: development builds say so, naming the
 * composable, once per call (Vue's own `onScopeDispose` warning is generic and is not raised).
 */
export function onScopeStop(composable: string, stop: () => void): void {
  if (getCurrentScope()) {
    onScopeDispose(stop)
    return
  }
  if (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production') {
    console.warn(
      `[sluice] ${composable}() was called outside a component's setup() or an effectScope(), so it is never stopped and keeps its subscription. Call it synchronously in setup() (before any await), or inside effectScope().run() and stop that scope.`,
    )
  }
}
