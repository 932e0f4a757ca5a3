export { mountDevtools } from './mount-devtools'
export type { DevtoolsOptions } from './overlay'
