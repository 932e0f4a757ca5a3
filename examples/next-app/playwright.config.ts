import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions, reporters } from '../../e2e/chromium'

/**
 * The example's end-to-end test: `next start` on the built app (`pnpm build` first) and the
 * example's sluice-server, both on free ports started by the test itself, in the system's
 * Chromium (as e2e/ uses: these machines cannot download Playwright's builds).
 */
export default defineConfig({
  testDir: './test',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  // A loaded 2-core CI machine hydrates a production Next page in seconds, not milliseconds.
  expect: { timeout: 15_000 },
  reporter: reporters('playwright-example-next.json'),
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
})
