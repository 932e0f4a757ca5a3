import { fileURLToPath } from 'node:url'
import { defineProject, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedConfig,
  defineProject({
    // The devtools recorder from its source too (vitest.shared.ts maps the package entries only).
    resolve: {
      alias: [
        {
          find: /^@sluice\/devtools\/recorder$/,
          replacement: fileURLToPath(new URL('../devtools/src/recorder.ts', import.meta.url)),
        },
      ],
    },
    test: { environment: 'happy-dom', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
  }),
)
