import type { ProcedureSchema, SluiceClient, TopicSchema } from '@sluice/client'
import { setupDevtoolsPlugin } from '@vue/devtools-api'
import { type App, hasInjectionContext, type InjectionKey, inject, provide } from 'vue'
import { setupSluiceDevtools } from './devtools'
import type { RealtimeClient } from './realtime-client'

/** Where the client is provided; inject it yourself with `inject(SLUICE_CLIENT)` if you need to. */
export const SLUICE_CLIENT: InjectionKey<RealtimeClient> = Symbol('sluice client')

/**
 * A plugin providing `client` to the whole app, for the client-less forms
 * `useRealtime(topic, options)` and `useConnection()`. In development it also adds a Sluice
 * inspector and timeline to Vue devtools (see {@link setupSluiceDevtools}).
 *
 * @example createApp(App).use(sluicePlugin(client)).mount('#app')
 */
export function sluicePlugin(client: RealtimeClient) {
  return {
    install(app: App) {
      app.provide(SLUICE_CLIENT, client)
      // Development only, in a browser: as in Vue's own builds, bundlers replace NODE_ENV and drop
      // this branch in production, and the devtools code (and @vue/devtools-api) with it.
      if (process.env.NODE_ENV !== 'production' && typeof window !== 'undefined') {
        setupSluiceDevtools(app, client, setupDevtoolsPlugin)
      }
    },
  }
}

/** Provides `client` to the calling component's descendants. Call it in `setup`. */
export function provideClient(client: RealtimeClient): void {
  provide(SLUICE_CLIENT, client)
}

/**
 * The client provided by {@link sluicePlugin} or {@link provideClient}, as the whole client
 * (`publish`, `call`, `setPresence`...); throws when there is none. Pass the app's schema and
 * procedures to type it: `useClient<Topics, typeof procedures>()`.
 */
export function useClient<
  Schema extends TopicSchema = TopicSchema,
  Procedures extends ProcedureSchema = ProcedureSchema,
>(): SluiceClient<Schema, Procedures> {
  // Outside setup (a bare effect scope) inject() would only warn and return undefined.
  const client = hasInjectionContext() ? inject(SLUICE_CLIENT, null) : null
  if (client === null) {
    throw new Error(
      'No Sluice client here: install sluicePlugin(client) on the app, call provideClient(client) in a parent, or pass the client to the composable.',
    )
  }
  // The plugin accepts any client-shaped object (tests, wrappers); an app provides a real client.
  return client as SluiceClient<Schema, Procedures>
}
