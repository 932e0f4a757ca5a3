import { addImports, addPlugin, createResolver, defineNuxtModule } from '@nuxt/kit'
import type { ModuleOptions, SluicePublicConfig } from './module-options'

/** The names the module auto-imports, all from its runtime `composables` file. */
export const AUTO_IMPORTS = [
  'useAsyncRealtime',
  'useCall',
  'useConnection',
  'useEvent',
  'useHistory',
  'usePresence',
  'usePublish',
  'useRealtime',
  'useSignal',
  'useSluiceClient',
] as const

/**
 * The Sluice Nuxt module: `modules: ['@sluice/nuxt']` with `sluice: { url }` in nuxt.config.
 * It adds a plugin that creates the client (connecting only in the browser) and provides it
 * to the composables, auto-imports them, and exposes the options as
 * `runtimeConfig.public.sluice`, so `NUXT_PUBLIC_SLUICE_URL` overrides the URL at run time.
 *
 * @example
 * export default defineNuxtConfig({
 *   modules: ['@sluice/nuxt'],
 *   sluice: { url: 'https://rt.example.com/realtime' },
 * })
 */
export default defineNuxtModule<ModuleOptions>({
  meta: { name: '@sluice/nuxt', configKey: 'sluice', compatibility: { nuxt: '>=3.17.0' } },
  // No default for transports: Nuxt merges defaults with defu, which concatenates arrays.
  defaults: { url: '', autoImports: true },
  setup(options, nuxt) {
    const resolver = createResolver(import.meta.url)
    const fromModule: SluicePublicConfig = {
      url: options.url,
      transports: options.transports ?? ['ws', 'sse'],
    }
    // runtimeConfig.public.sluice written in nuxt.config wins over the module's key, as in
    // other modules; only its empty values fall back to the module's.
    const fromConfig: Partial<SluicePublicConfig> = nuxt.options.runtimeConfig.public.sluice ?? {}
    nuxt.options.runtimeConfig.public.sluice = {
      url: fromConfig.url || fromModule.url,
      transports: fromConfig.transports ?? fromModule.transports,
    }
    addPlugin(resolver.resolve('./runtime/plugin'))
    if (options.autoImports) {
      const from = resolver.resolve('./runtime/composables')
      addImports(AUTO_IMPORTS.map((name) => ({ name, from })))
    }
  },
})

declare module 'nuxt/schema' {
  interface PublicRuntimeConfig {
    sluice: SluicePublicConfig
  }
}
