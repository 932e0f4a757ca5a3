import { describe, expect, it } from 'vitest'
import { TopicWatches } from './topic-watches'

/** An engine's watch and unwatch that record their calls; watch answers what the test queues. */
function engineWith(answers: Array<void | Promise<void>>) {
  const calls: string[] = []
  return {
    calls,
    watch(topic: string) {
      calls.push(`watch ${topic}`)
      return answers.shift()
    },
    unwatch(topic: string) {
      calls.push(`unwatch ${topic}`)
    },
  }
}

describe('TopicWatches', () => {
  it('watches a topic once for every caller and unwatches it when the last one leaves', () => {
    const engine = engineWith([undefined, undefined])
    const watches = new TopicWatches(engine)
    expect(watches.watch('t')).toBeUndefined()
    expect(watches.watch('t')).toBeUndefined()
    watches.unwatch('t')
    expect(engine.calls).toEqual(['watch t'])
    watches.unwatch('t')
    watches.unwatch('t')
    expect(engine.calls).toEqual(['watch t', 'unwatch t'])
    watches.watch('t')
    expect(engine.calls).toEqual(['watch t', 'unwatch t', 'watch t'])
  })

  it('hands the pending watch to a second caller, and nothing to await once it settled', async () => {
    let ready!: () => void
    const pending = new Promise<void>((resolve) => {
      ready = resolve
    })
    const watches = new TopicWatches(engineWith([pending]))
    const first = watches.watch('t')
    expect(watches.watch('t')).toBe(first)
    ready()
    await first
    expect(watches.watch('t')).toBeUndefined()
  })

  it('counts a failed watch for nobody: the next caller asks the engine again', async () => {
    const engine = engineWith([Promise.reject(new Error('redis is down')), undefined])
    const watches = new TopicWatches(engine)
    const failed = watches.watch('t')
    const shared = watches.watch('t')
    await expect(failed).rejects.toThrow('redis is down')
    await expect(shared).rejects.toThrow('redis is down')
    expect(watches.watch('t')).toBeUndefined()
    watches.unwatch('t')
    expect(engine.calls).toEqual(['watch t', 'watch t', 'unwatch t'])
  })
})
