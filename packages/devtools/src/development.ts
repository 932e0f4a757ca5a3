// What the `development` export condition resolves `@sluice/devtools` to (Vite's dev server,
// webpack in development mode): the overlay itself, with no `process.env.NODE_ENV` to read, as
// a page served unbundled in development may have no `process`.

export type { DevtoolsOptions } from './overlay'
export { mountOverlay as mountDevtools } from './overlay'
export {
  type CommandRecord,
  type ConnectionRecord,
  type Recorder,
  type RecorderOptions,
  type RecorderSnapshot,
  recordClient,
  type TopicLogEntry,
  type TopicRecord,
} from './recorder'
