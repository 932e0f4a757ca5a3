import type { ClientFrame, ServerFrame } from './frames'

/**
 * Serializes one frame or a batch for the wire. On the server's hot path call it once per
 * event and share the string (or a Buffer of it) between every subscriber.
 *
 * @example encodeMessage({ type: 'ping' }) // '{"type":"ping"}'
 */
export function encodeMessage(
  message: ServerFrame | ClientFrame | ReadonlyArray<ServerFrame | ClientFrame>,
): string {
  return JSON.stringify(message)
}
