import { defineConfig, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'
import { svelteBrowserAliases, svelteCompile } from './test/svelte/compile-plugin.ts'

export default mergeConfig(
  sharedConfig,
  defineConfig({
    plugins: [svelteCompile()],
    resolve: { alias: svelteBrowserAliases() },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // Read only by `pnpm test:coverage` (`vitest run --coverage`): `pnpm test` is unchanged.
      coverage: {
        provider: 'v8',
        include: ['src/**/*.ts'],
        exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts'],
        reporter: ['text'],
      },
    },
  }),
)
