// What the `production` export condition resolves `@sluice/devtools` to: the same API, mounting
// nothing, so a production bundle carries none of the overlay whatever its NODE_ENV handling.
import type { SluiceClient } from '@sluice/client'
import type { DevtoolsOptions } from './overlay'

export type { DevtoolsOptions } from './overlay'

/** In production builds: mounts nothing and returns a function that does nothing. */
export const mountDevtools =
  (_client: Pick<SluiceClient, '$connection'>, _options?: DevtoolsOptions): (() => void) =>
  () => {}
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
