import type { ClientFrame, ServerFrame } from '@sluice/protocol'

/**
 * What a server does and a scripted test would otherwise repeat: a `subscribed` written without
 * an id answers the last subscribe of its topic that the connection received, so it carries
 * that subscribe's id (the client matches answers to commands by id only). A test that sets an
 * id keeps it, to answer an older subscribe or none.
 */
export function echoSubscribeIds(
  message: ServerFrame | ServerFrame[],
  received: readonly ClientFrame[],
): ServerFrame | ServerFrame[] {
  const fill = (frame: ServerFrame): ServerFrame => {
    if (frame.type !== 'subscribed' || frame.id !== undefined) return frame
    const subscribe = [...received]
      .reverse()
      .find((sent) => sent.type === 'subscribe' && sent.topic === frame.topic)
    return subscribe?.id === undefined ? frame : { ...frame, id: subscribe.id }
  }
  return Array.isArray(message) ? message.map(fill) : fill(message)
}
