import type { Action, Identity } from '../identity'
import type { Runtime } from './runtime'

/**
 * Asks the app's `authorize`. A throw counts as a denial (fail closed) and is reported, so a
 * bug in the app's rules never opens a topic nor kills a connection.
 */
export async function isAuthorized(
  runtime: Runtime,
  identity: Identity | null,
  topic: string,
  action: Action,
  connectionId?: string,
): Promise<boolean> {
  try {
    return (await runtime.options.authorize(identity, topic, action)) === true
  } catch (error) {
    runtime.report(error, { operation: `authorize:${action}`, connectionId, identity, topic })
    return false
  }
}
