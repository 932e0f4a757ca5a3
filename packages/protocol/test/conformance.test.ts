import { describe, expect, test } from 'vitest'
import { type ClientFrame, decodeClientMessage, decodeServerMessage, encodeMessage } from '../src'
import { errorOf, type FramesFixture, type InvalidFramesFixture, loadFixture } from './fixtures'

const sides = [
  { side: 'client', decode: decodeClientMessage },
  { side: 'server', decode: (text: string) => decodeServerMessage(text) },
] as const

describe.each(sides)('$side frames', ({ side, decode }) => {
  const valid = loadFixture<FramesFixture>(`${side}-frames.valid.json`)
  const invalid = loadFixture<InvalidFramesFixture>(`${side}-frames.invalid.json`)

  test.each(valid.cases)('decodes: $name', ({ text, options, frames }) => {
    const message = side === 'client' ? decodeClientMessage(text, options) : decode(text)
    expect(message).toEqual({ ok: true, value: frames.map((value) => ({ ok: true, value })) })
  })

  test.each(valid.cases)('re-encodes to text that decodes the same: $name', ({ text, options, frames }) => {
    const once = side === 'client' ? decodeClientMessage(text, options) : decode(text)
    if (!once.ok) throw once.error
    const values = once.value.map((result) => (result.ok ? result.value : result.error))
    // A single frame stays a single frame: wrapping it in a batch would add bytes to a case at the limit.
    const batch = text.trimStart().startsWith('[')
    const encoded = encodeMessage(batch ? (values as ClientFrame[]) : (values[0] as ClientFrame))
    const twice = side === 'client' ? decodeClientMessage(encoded, options) : decode(encoded)
    expect(twice).toEqual({ ok: true, value: frames.map((value) => ({ ok: true, value })) })
  })

  test.each(invalid.cases)('rejects: $name', ({ text, options, level, error }) => {
    const message = side === 'client' ? decodeClientMessage(text, options) : decode(text)
    if (level === 'message') {
      expect(errorOf(message)).toEqual(error)
      return
    }
    if (!message.ok) throw message.error
    expect(message.value).toHaveLength(1)
    expect(errorOf(message.value[0]!)).toEqual(error)
  })

  test.each(invalid.batches)('batch: $name', ({ text, results }) => {
    const message = decode(text)
    if (!message.ok) throw message.error
    expect(
      message.value.map((result) => (result.ok ? { frame: result.value } : { error: errorOf(result) })),
    ).toEqual(results)
  })
})
