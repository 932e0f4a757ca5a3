import { join } from 'node:path'
import { defineConfig } from '@playwright/test'

const reportDir = process.env.SLUICE_TEST_REPORT_DIR

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
  reporter: reportDir
    ? [['list'], ['json', { outputFile: join(reportDir, 'playwright-example-next.json') }]]
    : [['list']],
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Without these, Chromium keeps trying to reach Google services on a closed network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
})
