import type { TopicSeed } from '@sluice/nuxt'

// The page's seed, read from the Sluice example server by this app's server, so the browser
// needs no cross-origin fetch after a client-side navigation.
export default defineEventHandler(() =>
  $fetch<TopicSeed>('/todos', { baseURL: useRuntimeConfig().sluiceServer }),
)
