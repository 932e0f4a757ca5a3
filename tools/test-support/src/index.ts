export { closeAll, connect, realTimers, startServer } from './real-server'
export { opened, until, type Watchable } from './until'
