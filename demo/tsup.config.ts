import { cpSync } from 'node:fs'
import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // The demo's Node server: imports the workspace packages' builds at run time.
    entry: { server: 'src/server.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    clean: true,
  },
  {
    // The browser app: one self-contained ES module with React and the Sluice client inlined.
    entry: { 'public/app': 'src/app.tsx' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    noExternal: [/.*/],
    minify: true,
    sourcemap: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    onSuccess: async () => {
      cpSync('public', 'dist/public', { recursive: true })
    },
  },
  {
    // The same app as a development build, served at /dev.html: it carries the Sluice devtools
    // overlay, which the production build above drops (e2e/tests/devtools.spec.ts checks both).
    entry: { 'public/app.dev': 'src/app.tsx' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    noExternal: [/.*/],
    sourcemap: true,
    define: { 'process.env.NODE_ENV': '"development"' },
  },
])
