import { describe, expect, it } from 'vitest'
import { clientOptions } from './client-options'

describe('clientOptions', () => {
  it('passes the URL and transports as configured in the browser', () => {
    expect(clientOptions({ url: '/realtime', transports: ['sse'] })).toEqual({
      url: '/realtime',
      transports: ['sse'],
    })
  })

  it('resolves a relative URL against the request on the server, and leaves an absolute one alone', () => {
    const request = new URL('https://shop.example.com/orders/7?tab=live')
    expect(clientOptions({ url: '/realtime' }, request)).toEqual({ url: 'https://shop.example.com/realtime' })
    expect(clientOptions({ url: 'https://rt.example.com/realtime' }, request)).toEqual({
      url: 'https://rt.example.com/realtime',
    })
  })

  it('refuses a missing or empty URL, naming where to set it', () => {
    expect(() => clientOptions(undefined)).toThrow(
      new Error(
        '@sluice/nuxt: no server URL: set sluice.url in nuxt.config or NUXT_PUBLIC_SLUICE_URL, received undefined',
      ),
    )
    expect(() => clientOptions({ url: '' })).toThrow(
      new Error(
        '@sluice/nuxt: no server URL: set sluice.url in nuxt.config or NUXT_PUBLIC_SLUICE_URL, received ""',
      ),
    )
  })
})
