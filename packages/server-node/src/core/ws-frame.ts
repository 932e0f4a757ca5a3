/**
 * One unmasked, final WebSocket text frame (RFC 6455 § 5.2): header and UTF-8 payload in a
 * single Buffer. A server frame is never masked, so the same bytes are valid on every socket:
 * fan-out writes this one Buffer to each subscriber instead of having `ws` build a header and
 * re-frame the payload per socket.
 */
export function encodeTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8')
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = 0x81 // FIN + opcode 1 (text)
  if (header === 2) {
    frame[1] = length
  } else if (header === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    // Lengths here stay far below 2^53 (maxFrameBytes is a few MiB at most).
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  frame.write(text, header, 'utf8')
  return frame
}

/** The text payload of a frame built by {@link encodeTextFrame} (for tests and fakes). */
export function decodeTextFrame(frame: Buffer): string {
  const marker = frame[1] ?? 0
  const header = marker < 126 ? 2 : marker === 126 ? 4 : 10
  return frame.toString('utf8', header)
}
