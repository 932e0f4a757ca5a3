import type { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import * as ws from 'ws'
import { decodeTextFrame, encodeTextFrame } from './ws-frame'

// ws's frame parser; exported at run time but absent from @types/ws.
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void }
}

// Parses bytes with ws's own receiver, as a client would.
function receive(bytes: Buffer): { text: string; isBinary: boolean } {
  const receiver = new Receiver({ isServer: false })
  let message: { text: string; isBinary: boolean } | undefined
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    message = { text: data.toString('utf8'), isBinary }
  })
  receiver.write(bytes)
  if (!message) throw new Error('no complete message')
  return message
}

describe('encodeTextFrame', () => {
  it.each([
    ['empty', ''],
    ['short', '{"type":"ping"}'],
    ['125 bytes (last 7-bit length)', 'a'.repeat(125)],
    ['126 bytes (first 16-bit length)', 'a'.repeat(126)],
    ['multi-byte UTF-8 across the 16-bit boundary', 'é'.repeat(40_000)],
    ['65,536 bytes (first 64-bit length)', 'a'.repeat(65_536)],
  ])('%s: one text message that ws reads back unchanged', (_name, text) => {
    const frame = encodeTextFrame(text)
    expect(receive(frame)).toEqual({ text, isBinary: false })
    expect(decodeTextFrame(frame)).toBe(text)
  })

  it('uses the shortest length encoding', () => {
    expect(encodeTextFrame('a'.repeat(125)).length).toBe(127)
    expect(encodeTextFrame('a'.repeat(126)).length).toBe(130)
    expect(encodeTextFrame('a'.repeat(65_536)).length).toBe(65_546)
  })
})
