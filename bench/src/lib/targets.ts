import type { ClientKind } from '../load/subscribers.ts'
import { TOPIC } from './payload.ts'

export type TargetId = 'raw-ws' | 'socketio' | 'sluice-ws' | 'raw-sse' | 'better-sse' | 'sluice-sse'

/** One system under test: which server program runs, and how the load generator subscribes. */
export interface Target {
  id: TargetId
  label: string
  /** The server-main target name. */
  server: string
  client: ClientKind
  readyOn: 'open' | 'subscribed'
  url(port: number): string
  sluice: boolean
}

const subscriptions = Buffer.from(JSON.stringify([{ topic: TOPIC }])).toString('base64url')

export const TARGETS: Record<TargetId, Target> = {
  'raw-ws': {
    id: 'raw-ws',
    label: 'raw ws 8.23',
    server: 'raw-ws',
    client: 'ws',
    readyOn: 'open',
    url: (port) => `ws://127.0.0.1:${port}/`,
    sluice: false,
  },
  socketio: {
    id: 'socketio',
    label: 'Socket.IO 4.8.4',
    server: 'socketio',
    client: 'socketio',
    readyOn: 'open',
    url: (port) => `http://127.0.0.1:${port}`,
    sluice: false,
  },
  'sluice-ws': {
    id: 'sluice-ws',
    label: 'Sluice (WS)',
    server: 'sluice',
    client: 'ws',
    readyOn: 'subscribed',
    url: (port) => `ws://127.0.0.1:${port}/realtime/ws?v=1&subscriptions=${subscriptions}`,
    sluice: true,
  },
  'raw-sse': {
    id: 'raw-sse',
    label: 'raw node:http SSE',
    server: 'raw-sse',
    client: 'sse',
    readyOn: 'open',
    url: (port) => `http://127.0.0.1:${port}/`,
    sluice: false,
  },
  'better-sse': {
    id: 'better-sse',
    label: 'better-sse 0.16.1',
    server: 'better-sse',
    client: 'sse',
    readyOn: 'open',
    url: (port) => `http://127.0.0.1:${port}/`,
    sluice: false,
  },
  'sluice-sse': {
    id: 'sluice-sse',
    label: 'Sluice (SSE)',
    server: 'sluice',
    client: 'sse',
    readyOn: 'subscribed',
    url: (port) => `http://127.0.0.1:${port}/realtime/sse?v=1&subscriptions=${subscriptions}`,
    sluice: true,
  },
}
