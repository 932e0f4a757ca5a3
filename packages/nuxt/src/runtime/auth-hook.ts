/** What a `sluice:auth` hook fills in: the token for the connect about to start. */
export interface SluiceAuth {
  /** The token to connect with; null (the default) connects anonymously. */
  token: string | null
}

declare module 'nuxt/app' {
  interface RuntimeNuxtHooks {
    /**
     * Called before every connect and token refresh of the app's client (in the browser, after
     * every plugin has run): set `auth.token`. Tokens are functions of the session, so they do not
     * belong in nuxt.config, which is serialized into the page.
     *
     * @example
     * export default defineNuxtPlugin((nuxtApp) => {
     *   nuxtApp.hook('sluice:auth', async (auth) => {
     *     auth.token = await $fetch<string>('/api/realtime-token')
     *   })
     * })
     */
    'sluice:auth': (auth: SluiceAuth) => void | Promise<void>
  }
}

/**
 * The client's `getToken`, asking the `sluice:auth` hooks each time, so a hook registered by a
 * plugin that runs after the module's is still asked, and each connect gets a fresh token.
 *
 * @param callHook `nuxtApp.callHook`, or anything calling the `sluice:auth` hooks in turn
 */
export function tokenFromHooks(
  callHook: (name: 'sluice:auth', auth: SluiceAuth) => unknown,
): () => Promise<string | null> {
  return async () => {
    const auth: SluiceAuth = { token: null }
    await callHook('sluice:auth', auth)
    return auth.token
  }
}
