import { defineConfig } from 'tsup'

export default defineConfig({
  // `production` is what the package's `production` export condition resolves to: the same
  // names, doing nothing, so a bundler that honours the condition never sees the overlay.
  entry: ['src/index.ts', 'src/production.ts', 'src/recorder.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
