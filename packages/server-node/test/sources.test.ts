// Sources the server owns: started at once, listed in GET <base>/status over HTTP, stopped by
// close() before the engine closes (a source's last publish still reaches a WebSocket
// subscriber), with failures kept in their state and reported to onError.
import { afterEach, describe, expect, it } from 'vitest'
import type { SourceHandle } from '../src/config'
import type { ErrorContext } from '../src/options'
import { ServerError } from '../src/server-error'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, WsPeer } from './helpers'

const servers: TestServer[] = []
const peers: WsPeer[] = []
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.ws.terminate()
  await Promise.all(servers.splice(0).map((t) => t.close()))
})

async function start(errors: Array<[string, ErrorContext]> = []) {
  const t = await createTestServer({
    adminKeys: ['admin-key'],
    onError: (error, context) => errors.push([(error as Error).message, context]),
  })
  servers.push(t)
  return t
}

async function status(t: TestServer) {
  const response = await fetch(`${t.url}/status`, { headers: { authorization: 'Bearer admin-key' } })
  expect(response.status).toBe(200)
  return ((await response.json()) as { sources: unknown[] }).sources
}

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe('server.source', () => {
  it('starts a source at once and lists it in /status', async () => {
    const t = await start()
    const before = Date.now()
    const calls: unknown[] = []
    const started = t.server.source('prices', (server, { signal }) => {
      calls.push([server === t.server, signal.aborted])
      return () => {}
    })
    expect(calls).toEqual([[true, false]])
    await started
    const [listed] = (await status(t)) as Array<{ startedAt: number }>
    expect(listed).toEqual({ name: 'prices', state: 'running', error: null, startedAt: expect.any(Number) })
    expect(listed?.startedAt).toBeGreaterThanOrEqual(before)
  })

  it('stops sources on close before the engine closes: signal first, then the handle, whose last publish is delivered', async () => {
    const t = await start()
    const { peer } = await WsPeer.open(t.url)
    peers.push(peer)
    peer.send({ type: 'subscribe', id: 's', topic: 'feed' })
    await peer.next(ofType('subscribed'))
    const steps: string[] = []
    await t.server.source('feed', (server, { signal }) => {
      signal.addEventListener('abort', () => steps.push('aborted'))
      return {
        stop: async () => {
          steps.push('stopping')
          await server.publish('feed', { kind: 'set', key: 'goodbye' })
          steps.push('stopped')
        },
      }
    })
    await t.server.source(
      'function',
      (_server, { signal }) =>
        () =>
          steps.push(`function stop, aborted: ${signal.aborted}`),
    )
    await t.server.source('nothing', () => undefined)
    await t.close()
    expect(steps).toEqual(['aborted', 'stopping', 'function stop, aborted: true', 'stopped'])
    expect(peer.frames.map((frame) => (frame.type === 'event' ? `event ${frame.key}` : frame.type))).toEqual([
      'welcome',
      'subscribed',
      'event goodbye',
      'reconnect',
    ])
    expect(t.server.stats().sources.map(({ name, state }) => [name, state])).toEqual([
      ['feed', 'stopped'],
      ['function', 'stopped'],
      ['nothing', 'stopped'],
    ])
  })

  it('keeps a failed start in /status, rejects with its error and reports it, without an unhandled rejection', async () => {
    const errors: Array<[string, ErrorContext]> = []
    const t = await start(errors)
    const sync = t.server.source('sync', () => {
      throw new Error('no credentials for the feed')
    })
    // Not awaited by the app: must not surface as an unhandled rejection.
    void t.server.source('async', async () => {
      throw new Error('the feed refused the connection')
    })
    await expect(sync).rejects.toThrow('no credentials for the feed')
    await new Promise((resolve) => setImmediate(resolve))
    expect(await status(t)).toEqual([
      { name: 'sync', state: 'failed', error: 'no credentials for the feed', startedAt: null },
      { name: 'async', state: 'failed', error: 'the feed refused the connection', startedAt: null },
    ])
    expect(errors).toEqual([
      ['no credentials for the feed', { operation: 'source:sync:start' }],
      ['the feed refused the connection', { operation: 'source:async:start' }],
    ])
  })

  it('stops what a source returns when close() came while it was starting', async () => {
    const t = await start()
    const handle = deferred<SourceHandle>()
    const steps: string[] = []
    const started = t.server.source('slow', () => handle.promise)
    expect(t.server.stats().sources).toEqual([
      { name: 'slow', state: 'starting', error: null, startedAt: null },
    ])
    const closed = t.close()
    await new Promise((resolve) => setImmediate(resolve))
    expect(steps).toEqual([])
    handle.resolve({ stop: () => void steps.push('stopped after its start') })
    await started
    await closed
    expect(steps).toEqual(['stopped after its start'])
    expect(t.server.stats().sources[0]?.state).toBe('stopped')
  })

  it('shows an error a running source reports, and a stop that throws as failed', async () => {
    const errors: Array<[string, ErrorContext]> = []
    const t = await start(errors)
    let report: (error: unknown) => void = () => {}
    await t.server.source('webhooks', (_server, context) => {
      report = context.report
      return () => {
        throw new Error('the queue would not close')
      }
    })
    report(new Error('one delivery failed'))
    expect(await status(t)).toEqual([
      { name: 'webhooks', state: 'running', error: 'one delivery failed', startedAt: expect.any(Number) },
    ])
    await t.close()
    expect(t.server.stats().sources).toEqual([
      {
        name: 'webhooks',
        state: 'failed',
        error: 'the queue would not close',
        startedAt: expect.any(Number),
      },
    ])
    expect(errors).toEqual([
      ['one delivery failed', { operation: 'source:webhooks' }],
      ['the queue would not close', { operation: 'source:webhooks:stop' }],
    ])
  })

  it('refuses a name taken, a start that is not a function, and a closing server', async () => {
    const t = await start()
    await t.server.source('a', () => undefined)
    const attempt = (name: string, startFn: unknown) => {
      try {
        void t.server.source(name, startFn as never)
        return 'started'
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    }
    expect(attempt('a', () => undefined)).toBe(
      'TypeError: source "a" already exists: give each source its own name',
    )
    expect(attempt('', () => undefined)).toBe(
      'TypeError: source: the name must be a non-empty string, received ""',
    )
    expect(attempt('b', 'poll')).toBe(
      'TypeError: source "b": start must be a function (server, { signal }) => handle',
    )
    const closing = t.close()
    expect(attempt('c', () => undefined)).toBe('ServerError: source c: the server is closing')
    await closing
    expect(() => t.server.source('d', () => undefined)).toThrow(ServerError)
  })
})
