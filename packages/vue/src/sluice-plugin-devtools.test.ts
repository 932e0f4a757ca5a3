import { createClient } from '@sluice/client'
import { setupDevtoolsPlugin } from '@vue/devtools-api'
import { afterEach, expect, test, vi } from 'vitest'
import { createApp } from 'vue'
import { sluicePlugin } from './sluice-plugin'

// The plugin's wiring alone: whether it hands the app to Vue devtools. What the inspector shows
// is devtools.test.ts's.
vi.mock('@vue/devtools-api', () => ({ setupDevtoolsPlugin: vi.fn() }))

afterEach(() => {
  vi.unstubAllEnvs()
})

const lazyClient = () => createClient({ url: 'http://127.0.0.1:1/realtime' })

test('in development the plugin registers the Sluice devtools plugin for its app', () => {
  const client = lazyClient()
  const app = createApp({ render: () => null }).use(sluicePlugin(client))
  expect(
    vi.mocked(setupDevtoolsPlugin).mock.calls.map(([descriptor]) => [descriptor.id, descriptor.app]),
  ).toEqual([['dev.sluice', app]])
  client.close()
})

test('in production it does not', () => {
  vi.stubEnv('NODE_ENV', 'production')
  const client = lazyClient()
  createApp({ render: () => null }).use(sluicePlugin(client))
  expect(setupDevtoolsPlugin).not.toHaveBeenCalled()
  client.close()
})
