import { decodeLastEventId, type EventFrame, type ServerFrame } from '@sluice/protocol'
import fixtures from '@sluice/protocol/fixtures/sse.json'
import { describe, expect, it } from 'vitest'
import { SharedFrame } from './shared-frame'
import { SseWriter } from './sink'

// The SSE conformance fixtures of @sluice/protocol, written by the server's own writer.
type Case = { name: string; frame: ServerFrame; id?: string; retry?: number; text: string }
const cases = fixtures.frames as unknown as Case[]

function cursorPositions(id: string): Array<[string, { epoch: string; seq: number }]> {
  const object = JSON.parse(Buffer.from(id.slice(2), 'base64url').toString()) as Record<string, string>
  return Object.entries(object).map(([topic, text]) => {
    const [epoch, seq] = text.split(':') as [string, string]
    return [topic, { epoch, seq: Number(seq) }]
  })
}

// A writer in the state the case assumes: the stream's URL topics, the retry already sent
// unless the case is the first frame, and the other topics' positions for a cursor case.
function writerFor(testCase: Case): SseWriter {
  const frame = testCase.frame
  const cursor = testCase.id?.startsWith('m.') ? cursorPositions(testCase.id) : undefined
  const urlTopics = cursor ? cursor.map(([topic]) => topic) : 'topic' in frame ? [frame.topic as string] : []
  const writer = new SseWriter({ retryMs: testCase.retry ?? 2000, urlTopics })
  if (testCase.retry === undefined) writer.frame({ type: 'ping' })
  for (const [topic, position] of cursor ?? []) writer.position(topic, position)
  return writer
}

describe('SseWriter against the protocol fixtures', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const writer = writerFor(testCase)
    const frame = testCase.frame
    if (frame.type === 'subscribed' && testCase.id !== undefined) {
      writer.position(frame.topic, { epoch: frame.epoch, seq: frame.seq })
    }
    const text =
      frame.type === 'event'
        ? writer.shared(new SharedFrame(frame as EventFrame)).toString()
        : writer.frame(frame)
    expect(text).toBe(testCase.text)
  })
})

describe('SseWriter ids', () => {
  const event = (topic: string, seq: number): SharedFrame =>
    new SharedFrame({ type: 'event', topic, epoch: 'e', seq, kind: 'created', ts: 0 })
  const idOf = (text: string | Buffer) => /^id: (.*)$/m.exec(text.toString())?.[1]

  it('hands every single-topic stream the same bytes for an event, and multi-topic streams their own', () => {
    const shared = event('a', 7)
    const single = [0, 1, 2].map(() => new SseWriter({ retryMs: 1000, urlTopics: ['a'] }))
    const payloads = single.map((writer) => writer.shared(shared))
    expect(new Set(payloads).size).toBe(1)
    expect(payloads[0]?.toString()).toBe(`id: e:7\ndata: ${shared.json}\n\n`)
    const multi = new SseWriter({ retryMs: 1000, urlTopics: ['a', 'b'] })
    multi.shared(event('b', 2))
    const own = multi.shared(shared)
    expect(typeof own).toBe('string')
    expect(decodeLastEventId(idOf(own) as string, ['a', 'b'])).toEqual(
      new Map([
        ['b', { epoch: 'e', seq: 2 }],
        ['a', { epoch: 'e', seq: 7 }],
      ]),
    )
  })

  it('gives no id to a subscribed frame that was not announced, nor to resync', () => {
    const writer = new SseWriter({ retryMs: 1000, urlTopics: ['a'] })
    expect(idOf(writer.frame({ type: 'subscribed', topic: 'a', epoch: 'e', seq: 5 }))).toBeUndefined()
    expect(
      idOf(writer.frame({ type: 'resync', topic: 'a', reason: 'too_old', epoch: 'e', seq: 5 })),
    ).toBeUndefined()
    expect(idOf(writer.frame({ type: 'snapshot', topic: 'a', epoch: 'e', seq: 5, data: null }))).toBe('e:5')
    expect(idOf(writer.shared(event('a', 6)))).toBe('e:6')
  })

  it('switches to cursors once a subscription came through the command channel', () => {
    const writer = new SseWriter({ retryMs: 1000, urlTopics: ['a'] })
    expect(idOf(writer.shared(event('a', 1)))).toBe('e:1')
    writer.markCommandSubscriptions()
    const id = idOf(writer.shared(event('a', 2))) as string
    expect(decodeLastEventId(id, ['a'])).toEqual(new Map([['a', { epoch: 'e', seq: 2 }]]))
    expect(id.startsWith('m.')).toBe(true)
  })

  it('drops an unsubscribed topic from the cursor', () => {
    const writer = new SseWriter({ retryMs: 1000, urlTopics: ['a', 'b'] })
    writer.shared(event('a', 1))
    writer.frame({ type: 'unsubscribed', topic: 'a' })
    const id = idOf(writer.shared(event('b', 3))) as string
    expect(decodeLastEventId(id, ['a', 'b'])).toEqual(new Map([['b', { epoch: 'e', seq: 3 }]]))
  })
})
