import { createClient, type SluiceClient } from '@sluice/client'
import { sluicePlugin } from '@sluice/vue'
import { defineNuxtPlugin, useRequestURL, useRuntimeConfig } from 'nuxt/app'
import type { SluicePublicConfig } from '../module-options'
import { tokenFromHooks } from './auth-hook'
import { clientOptions } from './client-options'

/**
 * Creates the app's client from `runtimeConfig.public.sluice` (and a token from the
 * `sluice:auth` hooks) and provides it to the Vue app (for the client-less composables) and as
 * `useNuxtApp().$sluice`.
 *
 * The server gets a client too, so that the same components render there, but it never
 * connects: clients are lazy (they connect on the first subscribe, publish, call or
 * onSignal), and the composables subscribe after mount, which server rendering never reaches.
 * It is closed once the page is rendered, which also ends anything a misuse (a `subscribe`
 * called straight from `setup`) could have started, instead of leaving one socket per request.
 */
export default defineNuxtPlugin<{ sluice: SluiceClient }>({
  name: 'sluice',
  setup(nuxtApp) {
    const config = useRuntimeConfig().public.sluice as Partial<SluicePublicConfig> | undefined
    const client: SluiceClient = createClient({
      ...clientOptions(config, import.meta.server ? useRequestURL() : undefined),
      getToken: tokenFromHooks((name, auth) => nuxtApp.callHook(name, auth)),
    })
    if (import.meta.server) nuxtApp.hooks.hook('app:rendered', () => client.close())
    nuxtApp.vueApp.use(sluicePlugin(client))
    return { provide: { sluice: client } }
  },
})
