// The URLs are the example server's defaults (`pnpm realtime`); NUXT_PUBLIC_SLUICE_URL and
// NUXT_SLUICE_SERVER override them when the built server starts (the e2e test does).
export default defineNuxtConfig({
  modules: ['@sluice/nuxt'],
  sluice: { url: 'http://127.0.0.1:3100/realtime' },
  runtimeConfig: {
    // Where this app's server reads the todos it renders (server-only, not sent to browsers).
    sluiceServer: 'http://127.0.0.1:3100',
  },
  // No network beyond the app's own servers: no devtools download, no telemetry prompt.
  devtools: { enabled: false },
  telemetry: false,
  compatibilityDate: '2026-01-01',
})
