import { defineConfig } from 'tsup'

// ESM only: Nuxt loads modules as ESM. The runtime files are entries of their own because the
// module hands their paths to Nuxt (addPlugin, addImports), which builds them into the app.
export default defineConfig({
  entry: {
    module: 'src/index.ts',
    'runtime/plugin': 'src/runtime/plugin.ts',
    'runtime/composables': 'src/runtime/composables.ts',
  },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
