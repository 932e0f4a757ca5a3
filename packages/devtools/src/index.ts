export { mountDevtools } from './mount-devtools'
export type { DevtoolsOptions } from './overlay'
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
