import { describe, expect, it } from 'vitest'
import { type SluiceAuth, tokenFromHooks } from './auth-hook'

type Hook = (auth: SluiceAuth) => void | Promise<void>

/** Calls `hooks` one after the other, as Nuxt's callHook does (hookable's serial caller). */
function serialCaller(hooks: Hook[]) {
  const calls: string[] = []
  const callHook = async (name: 'sluice:auth', auth: SluiceAuth) => {
    calls.push(name)
    for (const hook of hooks) await hook(auth)
  }
  return { callHook, calls }
}

describe('tokenFromHooks', () => {
  it('connects anonymously when no hook sets a token', async () => {
    const { callHook, calls } = serialCaller([])
    expect(await tokenFromHooks(callHook)()).toBeNull()
    expect(calls).toEqual(['sluice:auth'])
  })

  it('returns the token the hooks leave, awaiting an async one, and asks again on every connect', async () => {
    let issued = 0
    const { callHook, calls } = serialCaller([
      async (auth) => {
        issued += 1
        auth.token = await Promise.resolve(`token-${issued}`)
      },
    ])
    const getToken = tokenFromHooks(callHook)
    expect(await getToken()).toBe('token-1')
    expect(await getToken()).toBe('token-2')
    expect(calls).toEqual(['sluice:auth', 'sluice:auth'])
  })

  it('starts each connect from null, so a token is not kept after the hooks stop setting it', async () => {
    let signedIn = true
    const { callHook } = serialCaller([
      (auth) => {
        if (signedIn) auth.token = 'session-token'
      },
    ])
    const getToken = tokenFromHooks(callHook)
    expect(await getToken()).toBe('session-token')
    signedIn = false
    expect(await getToken()).toBeNull()
  })
})
