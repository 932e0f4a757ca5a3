import { defineProject, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../vitest.shared.ts'

// Fault tests start real processes and many sockets: one file at a time, so they do not
// compete for the two cores CI has and their bounds stay meaningful.
export default mergeConfig(
  sharedConfig,
  defineProject({
    test: { include: ['test/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 },
  }),
)
