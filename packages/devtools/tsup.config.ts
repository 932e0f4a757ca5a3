import { defineConfig } from 'tsup'

export default defineConfig({
  // `production` and `development` are what the package's export conditions of those names
  // resolve to: the same names, doing nothing or mounting without reading NODE_ENV, so a bundler
  // that honours the conditions never sees the overlay in production. `index` decides by
  // process.env.NODE_ENV for the others (esbuild without `conditions`).
  entry: ['src/index.ts', 'src/development.ts', 'src/production.ts', 'src/recorder.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
