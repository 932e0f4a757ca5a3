import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))
const reportDir = process.env.SLUICE_TEST_REPORT_DIR

/**
 * Shared vitest settings: in-repo imports of `@sluice/*` resolve to the sources, so a test
 * never runs against a stale build. With SLUICE_TEST_REPORT_DIR set (scripts/check.mjs), each
 * package also writes a JSON report that the closing summary line is counted from.
 */
export const sharedConfig = defineConfig({
  resolve: {
    // Exact matches, so subpaths such as @sluice/server-node/testing resolve on their own.
    alias: [
      ...['protocol', 'client', 'react', 'vue', 'devtools', 'server-node', 'redis', 'postgres'].map(
        (pkg) => ({
          find: new RegExp(`^@sluice/${pkg}$`),
          replacement: src(pkg),
        }),
      ),
      {
        find: /^@sluice\/client\/testing$/,
        replacement: fileURLToPath(new URL('./packages/client/src/testing.ts', import.meta.url)),
      },
      {
        find: /^@sluice\/devtools\/recorder$/,
        replacement: fileURLToPath(new URL('./packages/devtools/src/recorder.ts', import.meta.url)),
      },
      {
        find: /^@sluice\/server-node\/testing$/,
        replacement: fileURLToPath(new URL('./packages/server-node/src/testing.ts', import.meta.url)),
      },
    ],
  },
  test: {
    restoreMocks: true,
    testTimeout: 20_000,
    ...(reportDir
      ? {
          reporters: ['default', 'json'],
          outputFile: { json: join(reportDir, `vitest-${basename(process.cwd())}.json`) },
        }
      : {}),
  },
})
