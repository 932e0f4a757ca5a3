import { afterEach, expect, test, vi } from 'vitest'
import { browserEnvironment } from './environment'

afterEach(() => {
  vi.unstubAllGlobals()
})

test('on Node (no window events, no document) it is online and never calls back', () => {
  const env = browserEnvironment()
  expect(env.isOnline()).toBe(true)
  const off = env.onVisible(() => {
    throw new Error('never')
  })
  off()
})

test('reads navigator.onLine and window/document events of a browser', () => {
  const target = new EventTarget()
  const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
  vi.stubGlobal('navigator', { onLine: false })
  vi.stubGlobal('addEventListener', target.addEventListener.bind(target))
  vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target))
  vi.stubGlobal('document', doc)
  const env = browserEnvironment()
  expect(env.isOnline()).toBe(false)
  const seen: string[] = []
  const offOnline = env.onOnline(() => seen.push('online'))
  env.onOffline(() => seen.push('offline'))
  env.onVisible(() => seen.push('visible'))
  target.dispatchEvent(new Event('offline'))
  target.dispatchEvent(new Event('online'))
  doc.dispatchEvent(new Event('visibilitychange'))
  doc.visibilityState = 'visible'
  doc.dispatchEvent(new Event('visibilitychange'))
  offOnline()
  target.dispatchEvent(new Event('online'))
  expect(seen).toEqual(['offline', 'online', 'visible'])
})
