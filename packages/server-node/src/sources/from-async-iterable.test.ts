import { describe, expect, it } from 'vitest'
import { createSluiceServer } from '../server'
import { fromAsyncIterable } from './from-async-iterable'
import type { PublishTarget, SourceEvent } from './types'

function recorder() {
  const published: Array<[string, SourceEvent]> = []
  const target: PublishTarget = {
    publish: async (topic, event) => {
      published.push([topic, event])
      return { epoch: 'e', seq: published.length }
    },
  }
  return { published, target }
}

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

describe('fromAsyncIterable', () => {
  it('publishes mapped items in order, skips nulls, and resolves with the count', async () => {
    const { published, target } = recorder()
    async function* numbers() {
      yield 1
      yield 2
      yield 3
    }
    const count = await fromAsyncIterable(target, 'counter', numbers(), {
      map: (n) => (n === 2 ? null : { kind: 'set', data: n }),
    })
    expect(count).toBe(2)
    expect(published).toEqual([
      ['counter', { kind: 'set', data: 1 }],
      ['counter', { kind: 'set', data: 3 }],
    ])
  })

  it('accepts a plain iterable of events', async () => {
    const { published, target } = recorder()
    const events: SourceEvent[] = [
      { kind: 'created', key: 'a' },
      { kind: 'deleted', key: 'a' },
    ]
    expect(await fromAsyncIterable(target, 'todos', events)).toBe(2)
    expect(published.map(([, event]) => event)).toEqual(events)
  })

  it('pulls the next item only after the previous publish finished', async () => {
    const log: string[] = []
    const gates = [deferred(), deferred()]
    const target: PublishTarget = {
      publish: async (_topic, event) => {
        log.push(`publish ${event.data} start`)
        await gates[Number(event.data)]?.promise
        log.push(`publish ${event.data} end`)
      },
    }
    async function* items() {
      for (let index = 0; index < 2; index++) {
        log.push(`pull ${index}`)
        yield index
      }
    }
    const done = fromAsyncIterable(target, 't', items(), { map: (data) => ({ kind: 'set', data }) })
    await new Promise((resolve) => setImmediate(resolve))
    expect(log).toEqual(['pull 0', 'publish 0 start'])
    gates[0]?.resolve()
    await new Promise((resolve) => setImmediate(resolve))
    expect(log).toEqual(['pull 0', 'publish 0 start', 'publish 0 end', 'pull 1', 'publish 1 start'])
    gates[1]?.resolve()
    expect(await done).toBe(2)
  })

  it('stops on abort while the iterable is waiting for its next item', async () => {
    const { published, target } = recorder()
    const controller = new AbortController()
    async function* quietAfterOne() {
      yield { kind: 'set', data: 1 } satisfies SourceEvent
      await new Promise(() => {})
    }
    const done = fromAsyncIterable(target, 't', quietAfterOne(), { signal: controller.signal })
    await new Promise((resolve) => setImmediate(resolve))
    controller.abort()
    expect(await done).toBe(1)
    expect(published).toHaveLength(1)
  })

  it('closes the iterator when aborted between items', async () => {
    const { target } = recorder()
    const controller = new AbortController()
    let closed = false
    let pulled = 0
    async function* endless() {
      try {
        for (;;) {
          pulled++
          yield { kind: 'set', data: pulled } satisfies SourceEvent
        }
      } finally {
        closed = true
      }
    }
    const counting: PublishTarget = {
      publish: async (topic, event) => {
        await target.publish(topic, event)
        if (event.data === 3) controller.abort()
      },
    }
    expect(await fromAsyncIterable(counting, 't', endless(), { signal: controller.signal })).toBe(3)
    await new Promise((resolve) => setImmediate(resolve))
    expect(closed).toBe(true)
    expect(pulled).toBe(3)
  })

  it('publishes nothing with an already aborted signal', async () => {
    const { published, target } = recorder()
    let pulled = false
    async function* items() {
      pulled = true
      yield { kind: 'set' } satisfies SourceEvent
    }
    expect(await fromAsyncIterable(target, 't', items(), { signal: AbortSignal.abort() })).toBe(0)
    expect(pulled).toBe(false)
    expect(published).toEqual([])
  })

  it('rejects with a publish error and closes the iterator', async () => {
    let closed = false
    async function* items() {
      try {
        yield { kind: 'set', data: 1 } satisfies SourceEvent
        yield { kind: 'set', data: 2 } satisfies SourceEvent
      } finally {
        closed = true
      }
    }
    const failing: PublishTarget = {
      publish: async () => {
        throw new Error('engine down')
      },
    }
    await expect(fromAsyncIterable(failing, 't', items())).rejects.toThrow('engine down')
    await new Promise((resolve) => setImmediate(resolve))
    expect(closed).toBe(true)
  })

  it('rejects with the iterable’s own error', async () => {
    const { published, target } = recorder()
    async function* broken() {
      yield { kind: 'set', data: 1 } satisfies SourceEvent
      throw new Error('feed broke')
    }
    await expect(fromAsyncIterable(target, 't', broken())).rejects.toThrow('feed broke')
    expect(published).toHaveLength(1)
  })

  it('feeds a real server, which is a PublishTarget as it is', async () => {
    const sluice = createSluiceServer({ logger: false })
    try {
      const events: SourceEvent[] = [
        { kind: 'created', key: 'a', data: { title: 'A' } },
        { kind: 'updated', key: 'a', data: { title: 'B' } },
      ]
      expect(await fromAsyncIterable(sluice, 'todos', events)).toBe(2)
      expect(sluice.stats().eventsPublished).toBe(2)
    } finally {
      await sluice.close()
    }
  })
})
