export type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
export { provideClient, SLUICE_CLIENT, sluicePlugin, useClient } from './sluice-plugin'
export { useConnection } from './use-connection'
export { useRealtime } from './use-realtime'
