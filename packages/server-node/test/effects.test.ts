// onPublish effects: events appended through this server (its API and a WebSocket client's
// publish) reach the handlers whose pattern matches, in order, off the publish path; errors and
// overflow go to onError; close() lets them finish.
import type { EventFrame } from '@sluice/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import type { ErrorContext } from '../src/options'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, WsPeer } from './helpers'

const servers: TestServer[] = []
const peers: WsPeer[] = []
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.ws.terminate()
  await Promise.all(servers.splice(0).map((t) => t.close()))
})

async function start(options: Parameters<typeof createTestServer>[0] = {}) {
  const t = await createTestServer({ authorize: () => true, ...options })
  servers.push(t)
  return t
}

async function open(t: TestServer) {
  const { peer } = await WsPeer.open(t.url)
  peers.push(peer)
  return peer
}

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

const line = (event: EventFrame) => `${event.topic}#${event.seq} ${event.key ?? ''}`

/** Resolves once `list` has `count` entries (checked after each macrotask, bounded). */
async function until(list: unknown[], count: number): Promise<void> {
  for (let turn = 0; turn < 1_000 && list.length < count; turn++) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  expect(list).toHaveLength(count)
}

describe('onPublish', () => {
  it('hands each matching event to the handler in append order, from the server API and from clients', async () => {
    const t = await start()
    const seen: string[] = []
    t.server.onPublish('orders:*', (event) => void seen.push(line(event)))
    const peer = await open(t)
    await t.server.publish('orders:eu', { kind: 'created', key: 'o1' })
    await t.server.publish('orders', { kind: 'created', key: 'not matched: no segment' })
    await t.server.publish('orders:eu:archive', { kind: 'created', key: 'not matched: two segments' })
    peer.send({ type: 'publish', id: 'p1', topic: 'orders:us', kind: 'created', key: 'o2' })
    await peer.next(ofType('ack'))
    await t.server.publish('orders:eu', { kind: 'updated', key: 'o1' })
    await until(seen, 3)
    expect(seen).toEqual(['orders:eu#1 o1', 'orders:us#1 o2', 'orders:eu#2 o1'])
  })

  it('never holds up the publish or its delivery: the handler runs after, one event at a time', async () => {
    const t = await start()
    const peer = await open(t)
    peer.send({ type: 'subscribe', id: 's', topic: 'audit:logins' })
    await peer.next(ofType('subscribed'))
    const slow = gate()
    const calls: string[] = []
    t.server.onPublish('audit:**', async (event) => {
      calls.push(`start ${event.seq}`)
      await slow.opened
      calls.push(`end ${event.seq}`)
    })
    await t.server.publish('audit:logins', { kind: 'created', key: 'a' })
    expect(calls).toEqual([])
    await t.server.publish('audit:logins', { kind: 'created', key: 'b' })
    // Both delivered to the subscriber while the handler is stuck on the first.
    await peer.next(ofType('event', (frame) => frame.seq === 2))
    await until(calls, 1)
    expect(calls).toEqual(['start 1'])
    slow.open()
    await until(calls, 4)
    expect(calls).toEqual(['start 1', 'end 1', 'start 2', 'end 2'])
  })

  it('reports a handler error to onError and goes on with the next event', async () => {
    const errors: Array<[string, ErrorContext]> = []
    const t = await start({ onError: (error, context) => errors.push([(error as Error).message, context]) })
    const handled: number[] = []
    t.server.onPublish('hooks', (event) => {
      if (event.seq === 1) throw new Error('the webhook answered 500')
      handled.push(event.seq)
    })
    await t.server.publish('hooks', { kind: 'created' })
    await t.server.publish('hooks', { kind: 'created' })
    await until(handled, 1)
    expect(handled).toEqual([2])
    expect(errors).toEqual([['the webhook answered 500', { operation: 'effect:hooks', topic: 'hooks' }]])
  })

  it('drops events past maxQueue and says so once per burst, then how many', async () => {
    const errors: Array<[string, string | undefined]> = []
    const t = await start({
      onError: (error, context) =>
        errors.push([`${(error as { code?: string }).code} ${(error as Error).message}`, context.topic]),
    })
    const slow = gate()
    const handled: number[] = []
    t.server.onPublish(
      'clicks',
      async (event) => {
        await slow.opened
        handled.push(event.seq)
      },
      { maxQueue: 2 },
    )
    const published = await Promise.all(
      [1, 2, 3, 4, 5].map(() => t.server.publish('clicks', { kind: 'created' })),
    )
    const { epoch } = published[0] as { epoch: string }
    expect(errors).toEqual([
      [
        `OVERLOADED effect clicks: 2 events are waiting; dropped clicks@${epoch}:3 and drops the next until the handler catches up`,
        'clicks',
      ],
    ])
    slow.open()
    await until(handled, 2)
    expect(handled).toEqual([1, 2])
    expect(errors[1]).toEqual([
      'OVERLOADED effect clicks: dropped 3 events while its queue was full',
      'clicks',
    ])
    await t.server.publish('clicks', { kind: 'created' })
    await until(handled, 3)
    expect(handled).toEqual([1, 2, 6])
  })

  it('stops calling a removed handler; the effects option registers at creation', async () => {
    const seen: string[] = []
    const t = await start({
      effects: [{ topic: 'a', handler: (event) => void seen.push(`option ${line(event)}`) }],
    })
    const remove = t.server.onPublish('a', (event) => void seen.push(`method ${line(event)}`))
    await t.server.publish('a', { kind: 'created', key: 'x' })
    await until(seen, 2)
    remove()
    await t.server.publish('a', { kind: 'created', key: 'y' })
    await until(seen, 3)
    expect(seen).toEqual(['option a#1 x', 'method a#1 x', 'option a#2 y'])
  })

  it('lets handlers finish their queued events before close() resolves', async () => {
    const t = await start()
    const handled: number[] = []
    t.server.onPublish('jobs', async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      handled.push(event.seq)
    })
    for (let n = 0; n < 3; n++) await t.server.publish('jobs', { kind: 'created' })
    await t.close()
    expect(handled).toEqual([1, 2, 3])
  })

  it('refuses a bad pattern, a {sub} placeholder and a bad maxQueue, naming them', async () => {
    const t = await start()
    const attempt = (pattern: string, options?: { maxQueue: number }) => {
      try {
        t.server.onPublish(pattern, () => {}, options)
        return 'registered'
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    }
    expect(attempt('a:**:b')).toBe('TypeError: pattern "a:**:b": ** may only be the last segment')
    expect(attempt('user:{sub}')).toBe(
      'TypeError: onPublish "user:{sub}": {sub} names a caller, and effects have none; use * for the segment',
    )
    expect(attempt('a', { maxQueue: 0 })).toBe(
      'RangeError: onPublish "a": maxQueue must be an integer ≥ 1, received 0',
    )
  })
})
