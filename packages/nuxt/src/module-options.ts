import type { TransportKind } from '@sluice/client'

/**
 * The `sluice` key of `nuxt.config`. Everything here is public: it is copied to
 * `runtimeConfig.public.sluice`, so `NUXT_PUBLIC_SLUICE_URL` (and the other
 * `NUXT_PUBLIC_SLUICE_*` variables) override it when the built server starts.
 */
export interface ModuleOptions {
  /**
   * The Sluice server's base URL as the browser reaches it: `https://rt.example.com/realtime`,
   * or relative to the page (`/realtime`) for a server behind the same origin. A relative URL
   * is resolved against the request URL during server rendering.
   * @default '' (set it here or with NUXT_PUBLIC_SLUICE_URL; the plugin refuses to start without one)
   */
  url: string
  /** Transports in order of preference; later ones are fallbacks. @default ['ws', 'sse'] */
  transports?: TransportKind[]
  /**
   * Auto-import the composables (`useRealtime`, `useAsyncRealtime`, `useConnection`,
   * `usePresence`, `usePublish`, `useCall`, `useEvent`, `useHistory`, `useSignal`, and `useClient` as
   * `useSluiceClient`). Off, import them from `#imports` yourself.
   * @default true
   */
  autoImports: boolean
}

/** What the plugin reads back from `useRuntimeConfig().public.sluice`. */
export interface SluicePublicConfig {
  url: string
  transports: TransportKind[]
}
