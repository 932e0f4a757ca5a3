import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { recordHeaderReads } from './header-reads'

const headers = (): IncomingHttpHeaders => ({
  host: 'example.com',
  cookie: 'session=abc',
  'user-agent': 'test',
  'x-tenant': 't1',
})

describe('recordHeaderReads', () => {
  it('keeps nothing when nothing was read', () => {
    const recorder = recordHeaderReads(headers())
    expect(recorder.read()).toEqual({})
  })

  it('keeps exactly the headers read by get, `in` or hasOwn, present ones only', () => {
    const recorder = recordHeaderReads(headers())
    const seen = recorder.headers
    expect(seen.cookie).toBe('session=abc')
    expect('x-tenant' in seen).toBe(true)
    expect(Object.hasOwn(seen, 'host')).toBe(true)
    expect(seen.authorization).toBeUndefined()
    expect(recorder.read()).toEqual({ cookie: 'session=abc', 'x-tenant': 't1', host: 'example.com' })
  })

  it('keeps them all once they were enumerated', () => {
    const original = headers()
    const recorder = recordHeaderReads(original)
    expect({ ...recorder.headers }).toEqual(original)
    expect(recorder.read()).toBe(original)
  })
})
