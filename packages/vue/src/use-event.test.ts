import { created, createFakeClient } from '@sluice/client/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, effectScope, h, nextTick, ref } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { type TopicEvent, useEvent } from './use-event'

const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve))

describe('useEvent', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('calls the handler once per event, in order, until the scope stops', async () => {
    const fake = createFakeClient()
    const seen: string[] = []
    const scope = effectScope()
    scope.run(() => useEvent(fake.client, 'orders', (event) => seen.push(`${event.kind} ${event.key}`)))
    fake.sink('orders').pushEvents([created('orders', { id: 'o1' }), created('orders', { id: 'o2' })])
    await flush()
    fake.sink('orders').pushEvents([created('orders', { id: 'o3' })])
    await flush()
    expect(seen).toEqual(['created o1', 'created o2', 'created o3'])
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 0 })
    scope.stop()
    expect([fake.calls.unsubscribe, fake.refs('orders')]).toEqual([1, 0])
  })

  it('subscribes again when the topic or the filter changes', async () => {
    const fake = createFakeClient()
    const seen: string[] = []
    const topic = ref('orders')
    const shop = ref('a')
    const scope = effectScope()
    scope.run(() =>
      useEvent(
        fake.client,
        topic,
        (event) => seen.push(event.topic),
        () => ({
          filter: { field: 'shop', equals: shop.value },
        }),
      ),
    )
    expect(fake.refs('orders', { field: 'shop', equals: 'a' })).toBe(1)
    shop.value = 'b'
    await nextTick()
    expect([
      fake.refs('orders', { field: 'shop', equals: 'a' }),
      fake.refs('orders', { field: 'shop', equals: 'b' }),
    ]).toEqual([0, 1])
    topic.value = 'refunds'
    await nextTick()
    fake.sink('refunds', { field: 'shop', equals: 'b' }).pushEvents([created('refunds', { id: 'r1' })])
    await flush()
    expect(seen).toEqual(['refunds'])
    expect(fake.calls).toEqual({ subscribe: 3, unsubscribe: 2 })
    scope.stop()
  })

  it('logs a handler that throws, naming the topic, and goes on with the next events', async () => {
    const fake = createFakeClient()
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const seen: TopicEvent[] = []
    const scope = effectScope()
    scope.run(() =>
      useEvent(fake.client, 'orders', (event) => {
        if (event.key === 'o1') throw new Error('toast failed')
        seen.push(event)
      }),
    )
    fake.sink('orders').pushEvents([created('orders', { id: 'o1' }), created('orders', { id: 'o2' })])
    await flush()
    expect(seen.map((event) => event.key)).toEqual(['o2'])
    expect(logged).toHaveBeenCalledTimes(1)
    expect(logged.mock.calls[0]).toEqual([
      "[sluice] useEvent() handler for orders threw on a 'created' event:",
      new Error('toast failed'),
    ])
    scope.stop()
  })

  it('does not subscribe during server rendering', async () => {
    const fake = createFakeClient()
    const Toasts = defineComponent({
      setup() {
        useEvent(fake.client, 'orders', () => {})
        return () => h('div')
      },
    })
    expect(await renderToString(createSSRApp(Toasts))).toBe('<div></div>')
    expect(fake.calls.subscribe).toBe(0)
  })
})
