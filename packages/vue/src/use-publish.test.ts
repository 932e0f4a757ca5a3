import { ClientError, type PublishEvent, type PublishOptions, type PublishResult } from '@sluice/client'
import { createFakeClient } from '@sluice/client/testing'
import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { type PublishClient, usePublish } from './use-publish'

/** A client stand-in whose publishes wait until the test settles them, in any order. */
function publishClient() {
  const pending: {
    // As sent: the client types the event per call (its data generic), so it is recorded as any event.
    args: [string, PublishEvent<unknown>, PublishOptions | undefined]
    resolve: (result: PublishResult) => void
    reject: (error: Error) => void
  }[] = []
  const client: PublishClient = {
    // Without `optimistic` the composable never subscribes.
    subscribe: createFakeClient().client.subscribe,
    publish: (topic, event, options) =>
      new Promise((resolve, reject) => {
        pending.push({ args: [topic, event, options], resolve, reject })
      }),
  }
  return { client, pending }
}

const at = (seq: number): PublishResult => ({ epoch: 'e1', seq, duplicate: false })
const event = (key: string): PublishEvent => ({ kind: 'created', key, data: { id: key } })

describe('usePublish', () => {
  it('publishes to the topic read at each publish and tracks pending, result and error', async () => {
    const fake = publishClient()
    const topic = ref('todos')
    const { publish, isPending, error, data } = usePublish(fake.client, topic)
    expect([isPending.value, error.value, data.value]).toEqual([false, null, undefined])

    const first = publish(event('t1'), { echo: false })
    expect(isPending.value).toBe(true)
    fake.pending[0]?.resolve(at(1))
    expect(await first).toEqual(at(1))
    expect([isPending.value, error.value, data.value]).toEqual([false, null, at(1)])

    topic.value = 'done'
    const second = publish(event('t2'))
    const refused = new ClientError('FORBIDDEN', 'publish to done: forbidden')
    fake.pending[1]?.reject(refused)
    expect(await second).toBe(undefined)
    expect([isPending.value, error.value, data.value]).toEqual([false, refused, at(1)])
    expect(fake.pending.map(({ args }) => args)).toEqual([
      ['todos', event('t1'), { echo: false }],
      ['done', event('t2'), undefined],
    ])
  })

  it('shows only the latest publish when an earlier one settles after it', async () => {
    const fake = publishClient()
    const { publish, isPending, error, data } = usePublish(fake.client, 'todos')
    const first = publish(event('t1'))
    const second = publish(event('t2'))
    fake.pending[1]?.resolve(at(2))
    await second
    fake.pending[0]?.reject(new ClientError('TIMEOUT', 'publish to todos: no ack'))
    await first
    expect([isPending.value, error.value, data.value]).toEqual([false, null, at(2)])
  })

  it('reset() forgets the state and ignores publishes still in flight', async () => {
    const fake = publishClient()
    const { publish, isPending, error, data, reset } = usePublish(fake.client, 'todos')
    const first = publish(event('t1'))
    reset()
    expect(isPending.value).toBe(false)
    fake.pending[0]?.resolve(at(1))
    expect(await first).toEqual(at(1))
    expect([isPending.value, error.value, data.value]).toEqual([false, null, undefined])
  })

  it('keeps a publish pending while an earlier one settles', async () => {
    const fake = publishClient()
    const { publish, isPending } = usePublish(fake.client, 'todos')
    const first = publish(event('t1'))
    publish(event('t2'))
    fake.pending[0]?.resolve(at(1))
    await first
    expect(isPending.value).toBe(true)
  })
})
