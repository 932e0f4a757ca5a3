// What the module auto-imports. Re-exported from here rather than imported from
// '@sluice/vue' directly, because an auto-import is resolved from the app's own files, and an
// app that installed only @sluice/nuxt cannot resolve @sluice/vue under a strict node_modules.
export {
  useCall,
  useClient as useSluiceClient,
  useConnection,
  useEvent,
  useHistory,
  usePresence,
  usePublish,
  useRealtime,
  useSignal,
} from '@sluice/vue'
export { useAsyncRealtime } from './use-async-realtime'
