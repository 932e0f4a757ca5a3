import { expect, it } from 'vitest'
import { defaultMap } from './default-map'

it('maps the columns, leaving NULLs out', () => {
  expect(
    defaultMap({ id: '7', topic: 'todos', kind: 'created', key: 't1', data: { a: 1 }, meta: null }),
  ).toEqual({
    topic: 'todos',
    event: { kind: 'created', key: 't1', data: { a: 1 } },
  })
  expect(
    defaultMap({ id: '8', topic: 'todos', kind: 'deleted', key: null, data: null, meta: { by: 'x' } }),
  ).toEqual({
    topic: 'todos',
    event: { kind: 'deleted', meta: { by: 'x' } },
  })
})

it('names the row and the column that cannot be mapped', () => {
  expect(() => defaultMap({ id: '9', kind: 'created' })).toThrow(
    new TypeError('outbox row 9: topic must be text, got NULL'),
  )
  expect(() => defaultMap({ id: '9', topic: 't', kind: 3 })).toThrow(
    new TypeError('outbox row 9: kind must be text, got number'),
  )
  expect(() => defaultMap({ id: '9', topic: 't', kind: 'set', meta: [1] })).toThrow(
    new TypeError('outbox row 9: meta must be a JSON object, got an array'),
  )
})
