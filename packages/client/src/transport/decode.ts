import { decodeServerMessage, type ServerFrame } from '@sluice/protocol'

/**
 * Decodes one inbound message into its valid frames. A frame that fails to decode is dropped
 * alone (a newer server may send frame types this client does not know yet); `onInvalid` hears
 * about it so development builds can warn.
 */
export function decodeFrames(text: string, onInvalid?: (error: Error) => void): ServerFrame[] {
  const message = decodeServerMessage(text)
  if (!message.ok) {
    onInvalid?.(message.error)
    return []
  }
  const frames: ServerFrame[] = []
  for (const result of message.value) {
    if (result.ok) frames.push(result.value)
    else onInvalid?.(result.error)
  }
  return frames
}
