import type { EventFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { EchoExclusions, MAX_EXCLUDED_EVENTS } from './echo-exclusions'

const event = (seq: number, publishId?: string, topic = 't', epoch = 'e1'): EventFrame => {
  const frame: EventFrame = { type: 'event', topic, epoch, seq, kind: 'created', ts: 0 }
  if (publishId !== undefined) frame.publishId = publishId
  return frame
}

describe('EchoExclusions', () => {
  it('excludes an event delivered before its append answered, by publish id, and its replay after', () => {
    const exclusions = new EchoExclusions()
    exclusions.expect('t', 'p1')
    expect(exclusions.excludes(event(1, 'other'))).toBe(false)
    expect(exclusions.excludes(event(2, 'p1'))).toBe(true)
    exclusions.settle('t', 'p1', { epoch: 'e1', seq: 2 })
    expect(exclusions.excludes(event(2, 'p1'))).toBe(true)
    expect(exclusions.excludes(event(3, 'p1'))).toBe(false)
  })

  it('excludes an event delivered after its append answered, by position', () => {
    const exclusions = new EchoExclusions()
    exclusions.expect('t', 'p1')
    exclusions.settle('t', 'p1', { epoch: 'e1', seq: 7 })
    expect(exclusions.excludes(event(6))).toBe(false)
    expect(exclusions.excludes(event(7, 'p1'))).toBe(true)
    expect(exclusions.excludes(event(7, 'p1', 'other-topic'))).toBe(false)
    expect(exclusions.excludes(event(7, 'p1', 't', 'e2'))).toBe(false)
  })

  it('forgets a failed publish, so a later event with its id is sent', () => {
    const exclusions = new EchoExclusions()
    exclusions.expect('t', 'p1')
    exclusions.settle('t', 'p1', undefined)
    expect(exclusions.excludes(event(1, 'p1'))).toBe(false)
  })

  it('forgets the positions of an epoch once the topic is in another one', () => {
    const exclusions = new EchoExclusions()
    exclusions.expect('t', 'p1')
    exclusions.settle('t', 'p1', { epoch: 'e1', seq: 1 })
    exclusions.expect('t', 'p2')
    exclusions.settle('t', 'p2', { epoch: 'e2', seq: 1 })
    expect(exclusions.excludes(event(1, undefined, 't', 'e1'))).toBe(false)
    expect(exclusions.excludes(event(1, undefined, 't', 'e2'))).toBe(true)
  })

  it(`remembers at most ${MAX_EXCLUDED_EVENTS} events, forgetting the oldest first`, () => {
    const exclusions = new EchoExclusions()
    for (let seq = 1; seq <= MAX_EXCLUDED_EVENTS + 2; seq++) {
      exclusions.expect('t', `p${seq}`)
      exclusions.settle('t', `p${seq}`, { epoch: 'e1', seq })
    }
    expect(exclusions.excludes(event(1))).toBe(false)
    expect(exclusions.excludes(event(2))).toBe(false)
    expect(exclusions.excludes(event(3))).toBe(true)
    expect(exclusions.excludes(event(MAX_EXCLUDED_EVENTS + 2))).toBe(true)
  })
})
