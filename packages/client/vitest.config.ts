import { defineConfig, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// defineConfig, not defineProject: coverage is a root option (this package runs on its own).
export default mergeConfig(
  sharedConfig,
  defineConfig({
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
