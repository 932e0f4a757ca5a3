import { ProtocolError } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { ServerError } from '../server-error'
import { toValidationIssues } from './calls'
import { errorFrameFor } from './errors'

describe('errorFrameFor', () => {
  it('keeps a ServerError code, message and details', () => {
    const error = new ServerError('RATE_LIMITED', 'slow down', { retryAfterMs: 250, topic: 't' })
    expect(errorFrameFor(error, 'c1')).toEqual({
      type: 'error',
      id: 'c1',
      code: 'RATE_LIMITED',
      message: 'slow down',
      topic: 't',
      retryAfterMs: 250,
    })
  })

  it('keeps a ProtocolError field and prefers its own id', () => {
    const error = new ProtocolError('BAD_REQUEST', 'subscribe.topic must be…', { id: 'own', field: 'topic' })
    expect(errorFrameFor(error, 'other', 'x')).toEqual({
      type: 'error',
      id: 'own',
      code: 'BAD_REQUEST',
      message: 'subscribe.topic must be…',
      topic: 'x',
      field: 'topic',
    })
  })

  it('turns anything else into INTERNAL without its message', () => {
    const frame = errorFrameFor(Object.assign(new Error('password=hunter2'), { code: 'VALIDATION' }), 'c2')
    expect(frame).toEqual({ type: 'error', id: 'c2', code: 'INTERNAL', message: 'internal server error' })
    expect(errorFrameFor('a string')).toEqual({
      type: 'error',
      code: 'INTERNAL',
      message: 'internal server error',
    })
  })
})

describe('toValidationIssues', () => {
  it('maps Standard Schema paths of keys and path segments to strings and numbers', () => {
    const symbol = Symbol('s')
    expect(
      toValidationIssues([
        { message: 'required', path: ['title'] },
        { message: 'bad item', path: [{ key: 'tags' }, { key: 2 }] },
        { message: 'odd', path: [symbol] },
        { message: 'whole value', path: [] },
        { message: 'no path' },
      ]),
    ).toEqual([
      { message: 'required', path: ['title'] },
      { message: 'bad item', path: ['tags', 2] },
      { message: 'odd', path: ['Symbol(s)'] },
      { message: 'whole value' },
      { message: 'no path' },
    ])
  })
})
