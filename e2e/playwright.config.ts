import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions, reporters } from './chromium'

const port = Number(process.env.SLUICE_E2E_PORT ?? 8791)

/**
 * E2E tests run the demo app in a real Chromium. The browser is the system's (Debian's
 * chromium, installed by scripts/toolchain.sh) because these machines cannot download
 * Playwright's own builds; CHROMIUM_PATH points elsewhere when needed.
 */
export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: reporters('playwright-e2e.json'),
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  webServer: {
    command: `node ../demo/dist/server.js --port ${port} --e2e`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
})
