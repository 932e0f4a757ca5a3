import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // Every export is a hook or a context provider, so the entry must be a client module for React
  // Server Components (Next.js App Router): without the directive, importing @sluice/react from a
  // server component file fails at build time instead of marking the boundary. esbuild drops
  // module-level directives when it bundles, so the banner puts it back on line 1 of both formats
  // (test/use-client-directive.test.ts checks the built files).
  banner: { js: "'use client'" },
})
