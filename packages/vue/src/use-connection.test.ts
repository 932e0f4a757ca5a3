import { createFakeClient } from '@sluice/client/testing'
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, effectScope, h } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { sluicePlugin } from './sluice-plugin'
import { useConnection } from './use-connection'

describe('useConnection', () => {
  it('follows client.$connection until the scope stops', () => {
    const fake = createFakeClient()
    const scope = effectScope()
    const connection = scope.run(() => useConnection(fake.client))!
    expect(connection.value.status).toBe('idle')
    fake.setConnection({ status: 'open', transport: 'sse' })
    expect([connection.value.status, connection.value.transport]).toEqual(['open', 'sse'])
    scope.stop()
    fake.setConnection({ status: 'closed' })
    expect(connection.value.status).toBe('open')
  })

  it('renders the current state on the server from the provided client', async () => {
    const fake = createFakeClient()
    fake.setConnection({ status: 'reconnecting', attempt: 3 })
    const Badge = defineComponent({
      setup() {
        const connection = useConnection()
        return () => h('span', `${connection.value.status}#${connection.value.attempt}`)
      },
    })
    expect(await renderToString(createSSRApp(Badge).use(sluicePlugin(fake.client)))).toBe(
      '<span>reconnecting#3</span>',
    )
  })
})
