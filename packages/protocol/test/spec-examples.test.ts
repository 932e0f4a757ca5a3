import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import {
  decodeBase64Url,
  decodeClientFrame,
  decodeLastEventId,
  decodeServerFrame,
  decodeSubscriptionsParam,
  validateFilter,
} from '../src'

// Every example in docs/PROTOCOL.md must be valid protocol: examples are what people copy.
const spec = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8')

const jsonBlocks = [...spec.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => JSON.parse(match[1] ?? '') as unknown,
)
const flowLines = [...spec.matchAll(/^([←→]) (\{.*\}|\[.*\])\s*(?:\(.*\))?$/gm)]
  .filter((match) => !match[2]?.includes('…'))
  .map((match) => ({ direction: match[1], value: JSON.parse(match[2] ?? '') as unknown }))
const dataLines = [...spec.matchAll(/^data: (\{.*\})$/gm)]
  .filter((match) => !match[1]?.includes('…'))
  .map((match) => JSON.parse(match[1] ?? '') as unknown)

const isFrame = (value: unknown): value is { type: string } =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'type' in value

describe('docs/PROTOCOL.md examples', () => {
  test('the spec has examples to check', () => {
    expect(jsonBlocks.length).toBeGreaterThan(20)
    expect(flowLines.length).toBeGreaterThan(10)
    expect(dataLines.length).toBeGreaterThan(3)
  })

  test.each(jsonBlocks.filter(isFrame).map((frame) => [frame.type, frame] as const))(
    'json example of %s decodes unchanged',
    (_type, frame) => {
      const client = decodeClientFrame(frame)
      const server = decodeServerFrame(frame)
      expect([client, server].find((result) => result.ok)).toStrictEqual({ ok: true, value: frame })
    },
  )

  test('json examples that are not frames are valid filters or subscription lists', () => {
    for (const value of jsonBlocks.filter((block) => !isFrame(block))) {
      if (Array.isArray(value)) {
        const param = Buffer.from(JSON.stringify(value)).toString('base64url')
        expect(decodeSubscriptionsParam(param)).toMatchObject({ ok: true })
      } else expect(validateFilter(value)).toBeNull()
    }
  })

  test('flow lines decode in their direction, unchanged', () => {
    for (const { direction, value } of flowLines) {
      const frames = Array.isArray(value) ? value : [value]
      for (const frame of frames) {
        const result = direction === '→' ? decodeClientFrame(frame) : decodeServerFrame(frame)
        expect(result).toStrictEqual({ ok: true, value: frame })
      }
    }
  })

  test('SSE data lines are server frames', () => {
    for (const frame of dataLines) expect(decodeServerFrame(frame)).toStrictEqual({ ok: true, value: frame })
  })

  test('the worked cursor example decodes to the positions the text names', () => {
    const cursor = /^id: (m\.[A-Za-z0-9_-]+)$/m.exec(spec)?.[1] ?? ''
    expect(decodeBase64Url(cursor.slice(2))).toBe('{"todos/list-1":"k2x9f:42","chat/room-7":"k2x9f:17"}')
    expect(decodeLastEventId(cursor, ['todos/list-1', 'chat/room-7'])).toEqual(
      new Map([
        ['todos/list-1', { epoch: 'k2x9f', seq: 42 }],
        ['chat/room-7', { epoch: 'k2x9f', seq: 17 }],
      ]),
    )
  })

  test('every subscriptions= value in the spec decodes', () => {
    const params = [...spec.matchAll(/subscriptions=([A-Za-z0-9_-]+)/g)].map((match) => match[1] ?? '')
    expect(params.length).toBeGreaterThan(1)
    for (const param of params) expect(decodeSubscriptionsParam(param)).toMatchObject({ ok: true })
  })
})
