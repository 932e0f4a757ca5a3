import { expect, test } from 'vitest'
import {
  decodeClientMessage,
  decodeServerMessage,
  decodeSubscriptionsParam,
  encodeSubscriptionsParam,
  matchesFilter,
} from '../src'

test('smoke', () => {
  const r = decodeClientMessage(
    '[{"type":"subscribe","topic":"a","from":{"epoch":"e1","seq":3},"x":1},{"type":"nope","id":"q"},{"type":"publish","topic":"a","kind":"created"}]',
  )
  expect(r).toMatchObject({ ok: true })
  if (!r.ok) return
  expect(r.value[0]).toEqual({
    ok: true,
    value: { type: 'subscribe', topic: 'a', from: { epoch: 'e1', seq: 3 } },
  })
  expect(r.value[1]).toMatchObject({ ok: false, error: { code: 'UNKNOWN_FRAME', id: 'q' } })
  expect(r.value[2]).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', field: 'id' } })
  expect(
    decodeServerMessage(
      '{"type":"error","code":"VALIDATION","message":"m","issues":[{"message":"x","path":["a"]}]}',
    ),
  ).toMatchObject({ ok: true })
  const p = encodeSubscriptionsParam([{ topic: 'a', filter: { field: 'x', equals: 1 } }])
  expect(decodeSubscriptionsParam(p)).toEqual({
    ok: true,
    value: [{ topic: 'a', filter: { field: 'x', equals: 1 } }],
  })
  expect(
    matchesFilter(
      { and: [{ field: 'a.b', gte: 2 }, { not: { field: 'c', exists: true } }] },
      { a: { b: 3 } },
    ),
  ).toBe(true)
})
