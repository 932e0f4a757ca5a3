import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions, reporters } from '../../e2e/chromium'
import { freePort } from './e2e/free-port'

// Ports are chosen once, in the runner, and passed on through the environment: Playwright
// loads this file again in its worker, which inherits the runner's environment.
process.env.SLUICE_EXAMPLE_PORT ??= String(await freePort())
process.env.NUXT_EXAMPLE_PORT ??= String(await freePort())
process.env.SLUICE_EXAMPLE_PUBLISH_KEY ??= 'e2e-publish-key'
const sluicePort = process.env.SLUICE_EXAMPLE_PORT
const nuxtPort = process.env.NUXT_EXAMPLE_PORT

/**
 * The built example (`nuxt build` first) in a real Chromium: the example's Sluice server and
 * Nuxt's built server (.output/server/index.mjs), each on a free port. The browser is the
 * system's, as in e2e/playwright.config.ts, because these machines cannot download Playwright's.
 */
export default defineConfig({
  testDir: './e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: reporters('playwright-nuxt-app.json'),
  use: {
    baseURL: `http://127.0.0.1:${nuxtPort}`,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  webServer: [
    {
      command: 'node realtime/server.ts',
      env: {
        PORT: sluicePort,
        SLUICE_PUBLISH_KEY: process.env.SLUICE_EXAMPLE_PUBLISH_KEY,
        SLUICE_METRICS: '1',
      },
      url: `http://127.0.0.1:${sluicePort}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: 'node .output/server/index.mjs',
      env: {
        PORT: nuxtPort,
        HOST: '127.0.0.1',
        NUXT_PUBLIC_SLUICE_URL: `http://127.0.0.1:${sluicePort}/realtime`,
        NUXT_SLUICE_SERVER: `http://127.0.0.1:${sluicePort}`,
      },
      url: `http://127.0.0.1:${nuxtPort}/api/todos`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
})
