import { readFileSync } from 'node:fs'
import { encodeMessage, type ServerFrame } from '@sluice/protocol'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createSseParser } from './sse-parser'

const fixtures = JSON.parse(
  readFileSync(new URL('../../../protocol/fixtures/sse.json', import.meta.url), 'utf8'),
) as {
  frames: Array<{ name: string; frame: ServerFrame; text: string }>
  fields: Array<{ name: string; fields: { data?: string }; text: string }>
  comments: Array<{ text: string }>
}

/** The data of every event in `chunks`, fed one by one. */
const parse = (...chunks: string[]) => {
  const events: string[] = []
  const feed = createSseParser((data) => events.push(data))
  for (const chunk of chunks) feed(chunk)
  return events
}

describe('the SSE parser', () => {
  test.each(fixtures.frames.map((f) => [f.name, f] as const))(
    'reads the frame the server writes: %s',
    (_, { frame, text }) => {
      expect(parse(text)).toEqual([encodeMessage(frame)])
    },
  )

  test.each(fixtures.fields.filter((f) => f.fields.data !== undefined).map((f) => [f.name, f] as const))(
    'reads the data lines the server writes: %s',
    (_, { fields, text }) => {
      // The server writes each of CRLF, CR and LF as a line break; the lines come back joined by LF.
      expect(parse(text)).toEqual([fields.data?.replace(/\r\n|\r/g, '\n')])
    },
  )

  test('comments (the heartbeats) are no events', () => {
    expect(parse(...fixtures.comments.map((c) => c.text))).toEqual([])
  })

  test('lines end in CRLF, CR or LF, also when a CRLF is cut between two chunks', () => {
    expect(parse('data: a\r\n\r\ndata: b\r\rdata: c\n\n')).toEqual(['a', 'b', 'c'])
    expect(parse('data: a\r', '\n', '\r', '\ndata: b\r', '', '\n', '\r')).toEqual(['a', 'b'])
  })

  test('fields: one space after the colon is dropped, a line without colon has an empty value, others are skipped', () => {
    expect(
      parse('data:no space\n\n', 'data:  two\n\n', 'data\n\n', 'event: x\nid: 1\nretry: 5\ndatum: no\n\n'),
    ).toEqual(['no space', ' two', ''])
  })

  test('an event without data is not dispatched; one cut off by the end of the stream neither', () => {
    expect(parse('event: ping\n\n', 'data: cut')).toEqual([])
  })

  test('any split of a stream into chunks gives the same events', () => {
    const stream = `${fixtures.frames.map((f) => f.text).join('')}: ping\n\ndata: x\r\ndata: y\r\r`
    const expected = parse(stream)
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length]
          const chunks = points.slice(1).map((end, i) => stream.slice(points[i], end))
          expect(parse(...chunks)).toEqual(expected)
        },
      ),
    )
    expect(expected).toHaveLength(fixtures.frames.length + 1)
  })
})
