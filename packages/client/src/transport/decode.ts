import { readServerMessage, type ServerFrame } from '@sluice/protocol'

/**
 * Reads one inbound message into its usable frames with the protocol's compact client reader
 * (the strict decoder's diagnostics would triple the bundle). A frame whose fields the client
 * would act on have the wrong type is dropped alone, as is a frame type this client does not
 * know (a newer server); development builds say so on the console.
 */
export function decodeFrames(text: string): ServerFrame[] {
  return readServerMessage(text, warnDropped)
}

function warnDropped(value: unknown): void {
  if (typeof process !== 'undefined' && process.env?.NODE_ENV !== 'production') {
    console.warn('[sluice] dropped a server frame the client cannot use:', value)
  }
}
