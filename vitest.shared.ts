import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

/**
 * Shared vitest settings: in-repo imports of `@sluice/*` resolve to the sources, so a test
 * never runs against a stale build.
 */
export const sharedConfig = defineConfig({
  resolve: {
    alias: {
      '@sluice/protocol': src('protocol'),
      '@sluice/client': src('client'),
      '@sluice/react': src('react'),
      '@sluice/vue': src('vue'),
      '@sluice/server-node': src('server-node'),
    },
  },
  test: {
    restoreMocks: true,
    testTimeout: 20_000,
  },
})
