import { describe, expect, it } from 'vitest'
import { redactHeaders, redactUrl } from './redact'

describe('redactUrl', () => {
  it.each([
    ['/realtime/ws?v=1&token=abc', '/realtime/ws?v=1&token=[REDACTED]'],
    ['/realtime/sse?token=abc&v=1', '/realtime/sse?token=[REDACTED]&v=1'],
    [
      'https://x.example/a?access_token=t&api_key=k&key=s&q=1',
      'https://x.example/a?access_token=[REDACTED]&api_key=[REDACTED]&key=[REDACTED]&q=1',
    ],
    ['/a?TOKEN=abc', '/a?TOKEN=[REDACTED]'],
    ['/a?%74oken=abc', '/a?%74oken=[REDACTED]'],
    ['/a?token=abc#frag', '/a?token=[REDACTED]#frag'],
    ['/a?token=&v=1', '/a?token=[REDACTED]&v=1'],
    ['/a?token=a&token=b', '/a?token=[REDACTED]&token=[REDACTED]'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected)
  })

  it.each([
    '/realtime/ws',
    '/realtime/ws?v=1&subscriptions=eyJ0b2tlbiI6MX0',
    '/a?tokens=1&mykey=2&keys=3',
    '/a?token',
    '/a?q=%E2%9C%93&x=a+b',
    '/a#token=abc',
  ])('leaves %s unchanged', (input) => {
    expect(redactUrl(input)).toBe(input)
  })
})

describe('redactHeaders', () => {
  it('redacts credential headers and copies the rest', () => {
    const headers = {
      authorization: 'Bearer abc',
      cookie: 'session=1',
      'sluice-key': 'k',
      'sluice-connection': 'c1',
      accept: 'text/event-stream',
      'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
    }
    expect(redactHeaders(headers)).toEqual({
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'sluice-key': '[REDACTED]',
      'sluice-connection': 'c1',
      accept: 'text/event-stream',
      'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
    })
    expect(headers.authorization).toBe('Bearer abc')
  })

  it('matches names case-insensitively and keeps absent values absent', () => {
    expect(redactHeaders({ Authorization: 'Bearer abc', 'Set-Cookie': ['a=1'], cookie: undefined })).toEqual({
      Authorization: '[REDACTED]',
      'Set-Cookie': '[REDACTED]',
      cookie: undefined,
    })
  })
})
