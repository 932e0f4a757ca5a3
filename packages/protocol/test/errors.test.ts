import { describe, expect, test } from 'vitest'
import {
  CloseCode,
  closeCodeFor,
  ERROR_CODES,
  type ErrorCode,
  httpStatusFor,
  isErrorCode,
  isRefusedMessageCloseCode,
  isTerminalCloseCode,
  isWireErrorCode,
  ProtocolError,
} from '../src'

const codes = Object.keys(ERROR_CODES) as ErrorCode[]

describe('error codes', () => {
  test('wire codes map to their HTTP status; local codes fall back to 500', () => {
    expect(codes.map((code) => [code, httpStatusFor(code)])).toEqual([
      ['BAD_REQUEST', 400],
      ['UNKNOWN_FRAME', 400],
      ['PROTOCOL_VERSION', 400],
      ['UNAUTHORIZED', 401],
      ['TOKEN_EXPIRED', 401],
      ['FORBIDDEN', 403],
      ['NOT_FOUND', 404],
      ['IDLE_TIMEOUT', 408],
      ['LIMIT_EXCEEDED', 413],
      ['VALIDATION', 422],
      ['RATE_LIMITED', 429],
      ['SLOW_CONSUMER', 503],
      ['INTERNAL', 500],
      ['OVERLOADED', 503],
      ['SHUTTING_DOWN', 503],
      ['UNAVAILABLE', 503],
      ['TIMEOUT', 500],
      ['QUEUE_FULL', 500],
      ['STALE', 500],
      ['CLOSED', 500],
      ['NETWORK', 500],
    ])
  })

  test('close codes of connection-ending errors', () => {
    expect(
      Object.fromEntries(
        codes.map((code) => [code, closeCodeFor(code)]).filter(([, close]) => close !== null),
      ),
    ).toEqual({
      BAD_REQUEST: CloseCode.BadRequest,
      PROTOCOL_VERSION: CloseCode.BadRequest,
      UNAUTHORIZED: CloseCode.Unauthorized,
      TOKEN_EXPIRED: CloseCode.Unauthorized,
      FORBIDDEN: CloseCode.Forbidden,
      IDLE_TIMEOUT: CloseCode.IdleTimeout,
      LIMIT_EXCEEDED: CloseCode.MessageTooBig,
      SLOW_CONSUMER: CloseCode.SlowConsumer,
      INTERNAL: CloseCode.InternalError,
      OVERLOADED: CloseCode.TryAgainLater,
      SHUTTING_DOWN: CloseCode.ServiceRestart,
    })
  })

  test('only 4400 and 4403 are terminal; only 1007 and 1009 refuse the message that caused them', () => {
    expect(Object.values(CloseCode).filter(isTerminalCloseCode)).toEqual([4400, 4403])
    expect(isTerminalCloseCode(1006)).toBe(false)
    expect(Object.values(CloseCode).filter(isRefusedMessageCloseCode)).toEqual([1007, 1009])
    expect(isRefusedMessageCloseCode(1006)).toBe(false)
  })

  test('isErrorCode accepts every code and nothing inherited', () => {
    expect(codes.every(isErrorCode)).toBe(true)
    expect(['toString', '__proto__', 'hasOwnProperty', 'forbidden', '', 42, null].some(isErrorCode)).toBe(
      false,
    )
  })

  test('isWireErrorCode rejects client-local codes', () => {
    expect(codes.filter(isWireErrorCode)).toEqual(codes.filter((code) => ERROR_CODES[code].wire))
    expect(['TIMEOUT', 'QUEUE_FULL', 'STALE', 'CLOSED', 'NETWORK', 'constructor'].some(isWireErrorCode)).toBe(
      false,
    )
  })
})

describe('ProtocolError', () => {
  test('carries code, id, field, expectation, received value and cause', () => {
    const cause = new Error('inner')
    const error = new ProtocolError('BAD_REQUEST', 'subscribe.topic must be a topic name', {
      id: 's1',
      field: 'topic',
      expected: 'a topic name',
      received: '"a b"',
      cause,
    })
    expect(error).toBeInstanceOf(Error)
    expect({ ...error, name: error.name, message: error.message, cause: error.cause }).toEqual({
      name: 'ProtocolError',
      message: 'subscribe.topic must be a topic name',
      code: 'BAD_REQUEST',
      id: 's1',
      field: 'topic',
      expected: 'a topic name',
      received: '"a b"',
      cause,
    })
  })

  test('without options every detail is undefined and there is no cause', () => {
    const error = new ProtocolError('INTERNAL', 'boom')
    expect([error.id, error.field, error.expected, error.received, 'cause' in error]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      false,
    ])
  })
})
