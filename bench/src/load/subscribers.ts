import { get } from 'node:http'
import { io } from 'socket.io-client'
import { WebSocket } from 'ws'
import { wallClockMs } from '../lib/clock.ts'
import type { Recorder } from './recorder.ts'
import { SseReader } from './sse-reader.ts'
import { countEventFrames, forEachSentAt } from './wire-scan.ts'

export type ClientKind = 'ws' | 'socketio' | 'sse'

/** How one load-generator subscriber connects and when it counts as subscribed. */
export interface SubscriberSpec {
  kind: ClientKind
  url: string
  /**
   * `open`: as soon as the connection is up (peers register on connect).
   * `subscribed`: after the server's `subscribed` frame (Sluice subscribes through the URL).
   */
  readyOn: 'open' | 'subscribed'
}

export interface Subscriber {
  close(): void
}

const SUBSCRIBED_MARK = '"type":"subscribed"'

export function openSubscriber(spec: SubscriberSpec, recorder: Recorder): Promise<Subscriber> {
  switch (spec.kind) {
    case 'ws':
      return openWs(spec, recorder)
    case 'sse':
      return openSse(spec, recorder)
    case 'socketio':
      return openSocketIo(spec, recorder)
  }
}

function openWs(spec: SubscriberSpec, recorder: Recorder): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(spec.url, { perMessageDeflate: false })
    let ready = false
    const subscriber = { close: () => socket.terminate() }
    const markReady = () => {
      ready = true
      resolve(subscriber)
    }
    socket.on('open', () => {
      if (spec.readyOn === 'open') markReady()
    })
    socket.on('message', (data: Buffer) => {
      recorder.bytes += data.length
      if (!ready && data.indexOf(SUBSCRIBED_MARK) !== -1) markReady()
      if (recorder.latencyMode) {
        const receivedAt = wallClockMs()
        forEachSentAt(data, (sentAt) => recorder.eventSentAt(sentAt, receivedAt))
      } else {
        recorder.events(countEventFrames(data))
      }
    })
    socket.on('error', (error) => {
      if (!ready) reject(error)
    })
    socket.on('close', (code, reason) => {
      if (!ready) reject(new Error(`closed before ready: ${code} ${reason}`))
    })
  })
}

function openSse(spec: SubscriberSpec, recorder: Recorder): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    let ready = false
    const reader = new SseReader((name, data) => {
      if (name === 'message') {
        if (recorder.latencyMode) forEachSentAt(data, (sentAt) => recorder.eventSentAt(sentAt, receivedAt))
        else recorder.events(1)
      } else if (!ready && name === 'subscribed') {
        markReady()
      }
    })
    let receivedAt = 0
    // agent: false — one socket per stream, no pooling limit in the way of thousands of streams.
    const request = get(spec.url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`SSE status ${response.statusCode}`))
        response.resume()
        return
      }
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        recorder.bytes += chunk.length
        receivedAt = wallClockMs()
        if (!ready && spec.readyOn === 'open') markReady()
        reader.feed(chunk)
      })
      response.on('error', () => {})
    })
    const subscriber = { close: () => request.destroy() }
    const markReady = () => {
      ready = true
      resolve(subscriber)
    }
    request.on('error', (error) => {
      if (!ready) reject(error)
    })
  })
}

function openSocketIo(spec: SubscriberSpec, recorder: Recorder): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    // WebSocket only: the polling-then-upgrade default would measure long-polling setup too.
    const socket = io(spec.url, { transports: ['websocket'], forceNew: true, reconnection: false })
    socket.on('connect', () => resolve({ close: () => socket.disconnect() }))
    socket.on('connect_error', reject)
    socket.on('event', (frame: { data: { sentAt: number } }) => {
      if (recorder.latencyMode) recorder.eventSentAt(frame.data.sentAt, wallClockMs())
      else recorder.events(1)
    })
  })
}
