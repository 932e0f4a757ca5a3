/**
 * SSE behind a buffering reverse proxy: nginx from Debian with its default config (proxy
 * buffering on, HTTP/1.0 to the upstream, default buffer sizes) in front of a real server. Each
 * event must reach an SSE client through it within EVENT_BOUND_MS of its publish. What makes
 * that work is the stream's `X-Accel-Buffering: no` header: the control experiment runs the
 * same nginx told to ignore that header (`proxy_ignore_headers X-Accel-Buffering`), and the
 * events then sit in nginx's buffer.
 */
import { encodeSubscriptionsParam, type ServerFrame } from '@sluice/protocol'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Figures, ms } from './harness/figures'
import { findNginx, type Nginx, startNginx } from './harness/nginx'
import { SseStream } from './harness/sse-stream'
import { sized } from './support/sizing'

const nginxBinary = findNginx()
if (nginxBinary === null) {
  const message =
    'nginx not found ($NGINX, PATH, /usr/sbin/nginx): the SSE-behind-nginx tests cannot run. ' +
    'Install it (apt-get install nginx, or scripts/toolchain.sh --system-deps as root).'
  // CI installs it (scripts/toolchain.sh --system-deps): there a missing nginx is a failure.
  if (process.env.CI) throw new Error(message)
  console.warn(`\n${'!'.repeat(100)}\nSKIPPED: ${message}\n${'!'.repeat(100)}\n`)
}

// From publish to arrival through the proxy. Without buffering the delay is a loopback round
// trip (well under 10 ms); the bound leaves room for a loaded machine, and a buffered stream
// misses it by far (its events wait for 4-8 KB of stream or the end of the response).
const EVENT_BOUND_MS = 500
const EVENTS = sized(10, 200)
const figures = new Figures(
  'nginx',
  '| Through nginx (Debian defaults) | Events | Delay from publish to arrival |\n| --- | --- | --- |',
)
afterAll(() => figures.publish())

let t: TestServer | undefined
let nginx: Nginx | undefined
const streams: SseStream[] = []
afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.close()))
  await nginx?.stop()
  nginx = undefined
  await t?.close()
  t = undefined
})

const query = `v=1&subscriptions=${encodeSubscriptionsParam([{ topic: 'news' }])}`

async function openThroughNginx(): Promise<SseStream> {
  const opened = await SseStream.open(`http://127.0.0.1:${(nginx as Nginx).port}/realtime/sse?${query}`)
  if (!opened.stream) throw new Error(`nginx answered ${opened.status}: ${JSON.stringify(opened.body)}`)
  streams.push(opened.stream)
  expect(opened.headers['content-type']).toBe('text/event-stream; charset=utf-8')
  return opened.stream
}

/** Resolves once `check()` holds, polled; fails after `ms` naming `what`. */
async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const eventKeyed = (key: string) => (frame: ServerFrame) => frame.type === 'event' && frame.key === key

describe.skipIf(nginxBinary === null)('SSE through nginx with Debian defaults', () => {
  it(`delivers every event within ${EVENT_BOUND_MS} ms of its publish`, async () => {
    // A long heartbeat: only events move the stream, so no comment can flush a buffer for them.
    t = await createTestServer({ heartbeatMs: 60_000 })
    nginx = await startNginx(nginxBinary as string, t.port)
    const stream = await openThroughNginx()
    await stream.frame((f) => f.type === 'subscribed', 5_000, 'subscribed through nginx')
    const delays: number[] = []
    for (let i = 0; i < EVENTS; i++) {
      const key = `e${i}`
      const published = performance.now()
      await t.server.publish('news', { kind: 'created', key })
      await stream.frame(eventKeyed(key), 5_000, `event ${key} through nginx`)
      const arrived = stream.events[stream.frames.findIndex(eventKeyed(key))]?.at as number
      delays.push(arrived - published)
    }
    expect(
      delays.filter((delay) => delay >= EVENT_BOUND_MS),
      `delays: ${delays.join(', ')}`,
    ).toEqual([])
    const sorted = [...delays].sort((a, b) => a - b)
    const quantile = (q: number) =>
      (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number).toFixed(1)
    figures.add(
      `| the stream as the server sends it (\`X-Accel-Buffering: no\`) | ${EVENTS} | ` +
        `median ${quantile(0.5)} ms, p99 ${quantile(0.99)} ms, max ${quantile(1)} ms (bound ${EVENT_BOUND_MS} ms) |`,
    )
    const seqs = stream.frames.flatMap((f) => (f.type === 'event' ? [f.seq] : []))
    expect(seqs).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1))
    expect(nginx.errorLog()).not.toMatch(/\[(error|crit|alert|emerg)\]/)
  })

  it('holds the stream back when told to ignore X-Accel-Buffering: the header is what lets it through', async () => {
    t = await createTestServer({ heartbeatMs: 60_000 })
    nginx = await startNginx(nginxBinary as string, t.port, ['proxy_ignore_headers X-Accel-Buffering;'])
    let answered = false
    const opening = SseStream.open(`http://127.0.0.1:${nginx.port}/realtime/sse?${query}`).then((opened) => {
      answered = true
      if (opened.stream) streams.push(opened.stream)
      return opened
    })
    // The server has the stream and its subscription; whether the client heard of it is the question.
    await waitFor(() => t?.server.stats().subscriptions === 1, 5_000, 'the subscription behind nginx')
    const published = performance.now()
    await t.server.publish('news', { kind: 'created', key: 'held' })
    // Absence can only be shown by waiting: twice the bound the test above holds nginx to.
    await new Promise((resolve) => setTimeout(resolve, 2 * EVENT_BOUND_MS))
    // Not the event, not even the response headers: nginx holds output under postpone_output
    // (1460 bytes) and buffers the upstream's body until it ends or fills a buffer.
    expect(answered).toBe(false)
    // The end of the response flushes nginx: everything was there, only held.
    await t.close()
    t = undefined
    const { status, stream } = await opening
    expect(status).toBe(200)
    await (stream as SseStream).ended
    const frames = (stream as SseStream).frames
    expect(frames.map((f) => f.type)).toEqual(['welcome', 'subscribed', 'event', 'reconnect'])
    const at = (stream as SseStream).events[frames.findIndex(eventKeyed('held'))]?.at as number
    expect(at - published).toBeGreaterThan(2 * EVENT_BOUND_MS)
    figures.add(
      '| nginx told to ignore the header (`proxy_ignore_headers X-Accel-Buffering`) | 1 | ' +
        `held until the server ended the stream, ${ms(at - published)} later; not even the response headers came before |`,
    )
  })
})
