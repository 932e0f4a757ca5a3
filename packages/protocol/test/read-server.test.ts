import { describe, expect, test } from 'vitest'
import { decodeServerMessage, readServerFrame, readServerMessage } from '../src'
import { type FramesFixture, type InvalidFramesFixture, loadFixture } from './fixtures'

const valid = loadFixture<FramesFixture>('server-frames.valid.json')
const invalid = loadFixture<InvalidFramesFixture>('server-frames.invalid.json')

// Frames the strict decoder refuses for a value a client only compares or displays; the compact
// reader lets them through on purpose (their types are still right).
const TOLERATED = new Set([
  'welcome, identity empty',
  'subscribed, epoch with a space',
  'subscribed, topic missing',
  'event, key empty',
  'event, unicode topic',
  'signal, name empty',
  'signal, name with a space',
  'signal, name of 129 characters',
])

describe('readServerFrame', () => {
  test.each(valid.cases)('reads every valid fixture like the decoder: $name', ({ text, frames }) => {
    const read = readServerMessage(text)
    expect(read).toHaveLength(frames.length)
    for (const [i, frame] of read.entries()) expect(frame).toMatchObject(frames[i] as object)
  })

  test.each(invalid.cases.filter((c) => c.level === 'frame'))(
    'drops a frame with a field of the wrong type: $name',
    ({ name, text }) => {
      const dropped: unknown[] = []
      const frames = readServerMessage(text, (value) => dropped.push(value))
      if (TOLERATED.has(name)) {
        expect(frames).toHaveLength(1)
        expect(dropped).toEqual([])
      } else {
        expect(frames).toEqual([])
        expect(dropped).toEqual([JSON.parse(text)])
      }
    },
  )

  test('fills the defaults the decoder fills', () => {
    expect(readServerFrame({ type: 'snapshot', topic: 't', epoch: 'e', seq: 0 })).toEqual({
      type: 'snapshot',
      topic: 't',
      epoch: 'e',
      seq: 0,
      data: null,
    })
    expect(readServerFrame({ type: 'error', code: 'INTERNAL' })).toEqual({
      type: 'error',
      code: 'INTERNAL',
      message: '',
    })
  })

  test.each([
    ['null', null],
    ['an array', [{ type: 'ping' }]],
    ['a type that is not a string', { type: 1 }],
    ['a type inherited from Object.prototype', { type: 'toString' }],
    ['an error message that is not a string', { type: 'error', code: 'INTERNAL', message: 7 }],
    [
      'a resync reason from the prototype chain',
      { type: 'resync', topic: 't', reason: 'constructor', epoch: 'e', seq: 1 },
    ],
    ['a sync whose members is not an array', { type: 'presence', topic: 't', action: 'sync', members: {} }],
    [
      'an infinite ts',
      { type: 'event', topic: 't', epoch: 'e', seq: 1, kind: 'k', ts: Number.POSITIVE_INFINITY },
    ],
  ])('returns null for %s', (_name, value) => {
    expect(readServerFrame(value)).toBeNull()
  })
})

describe('readServerMessage', () => {
  test('a message that is not JSON yields no frames and is reported once', () => {
    const dropped: unknown[] = []
    expect(readServerMessage('<html>502</html>', (value) => dropped.push(value))).toEqual([])
    expect(dropped).toEqual(['<html>502</html>'])
  })

  test('a batch keeps its good frames in order and reports each bad one', () => {
    const dropped: unknown[] = []
    const text = JSON.stringify([
      { type: 'ping' },
      { type: 'hello' },
      { type: 'pong', id: 'p' },
      { type: 'ack' },
    ])
    expect(readServerMessage(text, (value) => dropped.push(value))).toEqual([
      { type: 'ping' },
      { type: 'pong', id: 'p' },
    ])
    expect(dropped).toEqual([{ type: 'hello' }, { type: 'ack' }])
  })

  test.each(invalid.batches)(
    'agrees with the decoder on which frames of a batch survive: $name',
    ({ text }) => {
      const decoded = decodeServerMessage(text)
      const kept = decoded.ok ? decoded.value.filter((result) => result.ok).map((result) => result.value) : []
      const read = readServerMessage(text)
      expect(read).toHaveLength(kept.length)
      for (const [i, frame] of read.entries()) expect(frame).toMatchObject(kept[i] as object)
    },
  )
})
