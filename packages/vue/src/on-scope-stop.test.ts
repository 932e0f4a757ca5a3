import { latest } from '@sluice/client'
import { createFakeClient } from '@sluice/client/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { useConnection } from './use-connection'
import { useEvent } from './use-event'
import { usePresence } from './use-presence'
import { useRealtime } from './use-realtime'
import { useSignal } from './use-signal'

const composables: [string, (fake: ReturnType<typeof createFakeClient>) => void][] = [
  ['useRealtime', (fake) => useRealtime(fake.client, 'todos', { merge: latest<number>() })],
  ['useConnection', (fake) => useConnection(fake.client)],
  ['useSignal', () => useSignal({ onSignal: () => () => {} }, 'export.ready', () => {})],
  ['useEvent', (fake) => useEvent(fake.client, 'orders', () => {})],
  ['usePresence', (fake) => usePresence({ ...fake.client, setPresence: () => {} }, 'doc:7', { name: 'ann' })],
]

describe('a composable called outside any effect scope', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })

  it.each(composables)('%s warns once in development, naming itself', (name, use) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    use(createFakeClient())
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(new RegExp(`^\\[sluice\\] ${name}\\(\\) was called outside`))
  })

  it.each(composables)('%s does not warn inside an effect scope', (_name, use) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const scope = effectScope()
    scope.run(() => use(createFakeClient()))
    scope.stop()
    expect(warn).toHaveBeenCalledTimes(0)
  })

  it.each(composables)('%s stays quiet in production', (_name, use) => {
    vi.stubEnv('NODE_ENV', 'production')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    use(createFakeClient())
    expect(warn).toHaveBeenCalledTimes(0)
  })
})
