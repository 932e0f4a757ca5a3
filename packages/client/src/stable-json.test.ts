import { expect, test } from 'vitest'
import { stableJson } from './stable-json'

test('sorts keys at every level, keeps array order', () => {
  expect(stableJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}')
  expect(stableJson({ a: 1, b: 2 })).toBe(stableJson({ b: 2, a: 1 }))
  expect(stableJson(undefined)).toBe('')
})

test('keeps a __proto__ key, so two different call arguments never share one identity', () => {
  const args = JSON.parse('{"__proto__":{"x":1},"a":2}')
  expect(stableJson(args)).toBe('{"__proto__":{"x":1},"a":2}')
  expect(stableJson(args)).not.toBe(stableJson({ a: 2 }))
})
