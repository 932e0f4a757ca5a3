/**
 * What every Playwright run in this repo shares (e2e/ and the examples' e2e tests): the system's
 * Chromium, and the reporters. Imported by each playwright.config.ts.
 */
import { join } from 'node:path'
import type { LaunchOptions, ReporterDescription } from '@playwright/test'

/**
 * The system's Chromium (Debian's, installed by scripts/toolchain.sh) because these machines
 * cannot download Playwright's own builds; CHROMIUM_PATH points elsewhere when needed.
 */
export const chromiumLaunchOptions: LaunchOptions = {
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
}

/**
 * The list reporter, plus, under scripts/check.mjs (SLUICE_TEST_REPORT_DIR set), a JSON report
 * named `jsonName` that its closing summary line is counted from.
 */
export function reporters(jsonName: string): ReporterDescription[] {
  const reportDir = process.env.SLUICE_TEST_REPORT_DIR
  if (!reportDir) return [['list']]
  return [['list'], ['json', { outputFile: join(reportDir, jsonName) }]]
}
