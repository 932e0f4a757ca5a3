// What `compile-plugin.ts` makes of a `.svelte` import: a Svelte 5 component function.
declare module '*.svelte' {
  import type { Component } from 'svelte'

  const component: Component<Record<string, unknown>>
  export default component
}
declare module '*.svelte?server' {
  import type { Component } from 'svelte'

  const component: Component<Record<string, unknown>>
  export default component
}
