import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  CloseCode,
  isValidSignalName,
  isValidTopic,
  type Json,
  KIND_PATTERN,
  MAX_ID_LENGTH,
  MAX_KEY_LENGTH,
  MAX_NAME_LENGTH,
  PROTOCOL_VERSION,
  type ServerFrame,
  type SignalFrame,
  type WireErrorCode,
} from '@sluice/protocol'
import { createRuntime, deliverMessage } from './core/create-runtime'
import type { IdentityMessage } from './engine/types'
import { createFetchHandler } from './http/fetch-handler'
import { hardenHttpServer } from './http/harden'
import { createNodeHandler } from './http/node-handler'
import type { SluiceServerOptions } from './options'
import { ServerError } from './server-error'
import type { CloseOptions, PublishInput, PublishOptions, ServerStats, SluiceServer } from './server-types'
import { rejectUpgrade, WsTransport } from './transports/ws'
import { ServerWork } from './work/server-work'

function checkPublish(
  topic: string,
  event: PublishInput<unknown>,
  options: PublishOptions,
  maxTopicLength: number,
): void {
  if (!isValidTopic(topic, maxTopicLength)) {
    throw new ServerError('BAD_REQUEST', `publish: ${JSON.stringify(topic)} is not a valid topic name`)
  }
  if (typeof event?.kind !== 'string' || !KIND_PATTERN.test(event.kind)) {
    throw new ServerError('BAD_REQUEST', `publish: kind must be a lowercase word such as "created"`)
  }
  if (event.key !== undefined && (typeof event.key !== 'string' || event.key.length > MAX_KEY_LENGTH)) {
    throw new ServerError(
      'BAD_REQUEST',
      `publish: key must be a string of at most ${MAX_KEY_LENGTH} characters`,
    )
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id.length > MAX_ID_LENGTH)) {
    throw new ServerError(
      'BAD_REQUEST',
      `publish: id must be a string of at most ${MAX_ID_LENGTH} characters`,
    )
  }
  checkPacing(topic, options)
  // Events from clients and HTTP are parsed JSON already; only the server API can hand over a
  // BigInt or a cycle, which would fail later, at fan-out, for every subscriber. The check
  // costs a serialization, so production skips it.
  if (process.env.NODE_ENV !== 'production') {
    try {
      JSON.stringify([event.data, event.meta])
    } catch (cause) {
      throw new ServerError(
        'BAD_REQUEST',
        'publish: data and meta must be JSON-serializable (no BigInt, no cycles); convert them first',
        { cause },
      )
    }
  }
}

/** At most one of coalesceKey, throttle and debounce, each with a key (and a window in ms). */
function checkPacing(topic: string, { coalesceKey, throttle, debounce }: PublishOptions): void {
  const given = [coalesceKey, throttle, debounce].filter((pace) => pace !== undefined).length
  if (given > 1) {
    throw new ServerError(
      'BAD_REQUEST',
      `publish to ${topic}: give one of coalesceKey, throttle and debounce, not ${given}`,
    )
  }
  if (coalesceKey !== undefined && typeof coalesceKey !== 'string') {
    throw new ServerError('BAD_REQUEST', `publish to ${topic}: coalesceKey must be a string`)
  }
  for (const [name, pace] of [
    ['throttle', throttle],
    ['debounce', debounce],
  ] as const) {
    if (pace === undefined) continue
    if (typeof pace?.key !== 'string' || !(pace.ms > 0) || !Number.isFinite(pace.ms)) {
      throw new ServerError(
        'BAD_REQUEST',
        `publish to ${topic}: ${name} must be { key: string, ms: a positive number }, received ${JSON.stringify(pace)}`,
      )
    }
  }
}

function checkSignal(target: unknown, name: string, data: Json | undefined): void {
  if (typeof target !== 'string' || target.length === 0) {
    throw new ServerError(
      'BAD_REQUEST',
      'signal: the target must be an identity id or { connection: id }, a non-empty string',
    )
  }
  if (typeof name === 'string' && name.length > MAX_NAME_LENGTH) {
    throw new ServerError('LIMIT_EXCEEDED', `signal: name is longer than ${MAX_NAME_LENGTH} characters`)
  }
  if (!isValidSignalName(name)) {
    throw new ServerError(
      'BAD_REQUEST',
      `signal: ${JSON.stringify(name)} is not a valid signal name (the characters of a topic name)`,
    )
  }
  // As for publish: only the server API can hand over a BigInt or a cycle, which would throw
  // later, in every connection's send. Production skips the extra serialization.
  if (process.env.NODE_ENV !== 'production') {
    try {
      JSON.stringify(data)
    } catch (cause) {
      throw new ServerError(
        'BAD_REQUEST',
        `signal ${name}: data must be JSON-serializable (no BigInt, no cycles); convert it first`,
        { cause },
      )
    }
  }
}

/** An option that lists objects (schedules, derived, effects), checked before its entries are. */
function listOption<T>(value: T[] | undefined, name: string, shape: string): T[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'object' && entry !== null)) {
    throw new TypeError(`${name} must be a list of ${shape}`)
  }
  return value
}

/**
 * Creates a Sluice server: WebSocket and SSE endpoints under `basePath`, topic logs with replay,
 * snapshots, presence, procedures and auth. Embed it in any node:http server with
 * {@link SluiceServer.attach} + {@link SluiceServer.handler}, or run it alone with `listen`.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { createSluiceServer } from '@sluice/server-node'
 *
 * const sluice = createSluiceServer({ authorize: (identity, topic) => topic === 'todos' })
 * const http = createServer((req, res) => sluice.handler(req, res))
 * sluice.attach(http)
 * http.listen(8080)
 * await sluice.publish('todos', { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship it' } })
 */
export function createSluiceServer(options: SluiceServerOptions = {}): SluiceServer {
  const { runtime, setClosing, dispose } = createRuntime(options, () => server)
  const { options: resolved, registry, hub, publisher, engine, metrics, now } = runtime
  const metricsEnabled = options.metrics !== undefined && options.metrics !== false
  const startedAt = now()
  let closed: Promise<void> | undefined
  const ownServers = new Set<Server>()

  const ws = new WsTransport(runtime)
  const work = new ServerWork(runtime)
  const refuseWhenClosing = (what: string) => {
    if (runtime.closing) throw new ServerError('SHUTTING_DOWN', `${what}: the server is closing`)
  }

  const stats = (): ServerStats => {
    let wsCount = 0
    let sseCount = 0
    for (const connection of registry.all()) {
      if (connection.transport === 'ws') wsCount++
      else sseCount++
    }
    return {
      protocol: PROTOCOL_VERSION,
      connections: wsCount + sseCount,
      transports: { ws: wsCount, sse: sseCount },
      subscriptions: hub.subscriptionCount,
      topics: hub.topicCount,
      eventsPublished: publisher.published,
      eventsDelivered: runtime.counters.delivered,
      uptimeMs: now() - startedAt,
      closing: runtime.closing,
      sources: work.sources.status(),
      schedules: work.schedules.status(),
    }
  }

  const routerDeps = { stats, metrics: metricsEnabled ? metrics : null }
  const handler = createNodeHandler(runtime, routerDeps)
  const fetch = createFetchHandler(runtime, routerDeps)

  const attach = (http: Server | HttpsServer): void => {
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (ws.matches(req)) {
        ws.handleUpgrade(req, socket, head)
        return
      }
      // Other upgrade paths belong to the app's own listeners; with none, nobody would answer.
      if (http.listenerCount('upgrade') === 1) {
        rejectUpgrade(socket, new ServerError('NOT_FOUND', 'no WebSocket endpoint at this path'))
      }
    })
  }

  const server: SluiceServer = {
    attach,
    handler,
    fetch,
    async listen(port = 0, host = '127.0.0.1') {
      // SSE stream cursors travel in Last-Event-ID and can outgrow Node's 16 KiB header default.
      const http = hardenHttpServer(createServer({ maxHeaderSize: 64 * 1024 }, handler))
      attach(http)
      ownServers.add(http)
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => {
          http.off('error', reject)
          resolve()
        })
      })
      const address = http.address() as AddressInfo
      const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address
      return { url: `http://${hostname}:${address.port}${resolved.basePath}`, port: address.port }
    },
    // The signature (SluiceServer.publish) checked the data is JSON-compatible; checkPublish
    // checks the value in development (a cycle, a BigInt reached through `any`).
    async publish(topic: string, event: PublishInput<unknown>, publishOptions: PublishOptions = {}) {
      checkPublish(topic, event, publishOptions, resolved.limits.maxTopicLength)
      const input: PublishInput = { kind: event.kind }
      if (event.key !== undefined) input.key = event.key
      if (event.data !== undefined) input.data = event.data as Json
      if (event.meta !== undefined) input.meta = event.meta
      const outcome = await publisher.publish(topic, input, {
        id: publishOptions.id,
        coalesceKey: publishOptions.coalesceKey,
        throttle: publishOptions.throttle,
        debounce: publishOptions.debounce,
        scope: '\u0000server',
      })
      return outcome && { epoch: outcome.epoch, seq: outcome.seq }
    },
    async sendTo(identityId: string, frame: ServerFrame) {
      const reached = registry.ofIdentity(identityId).filter((c) => c.state === 'open').length
      await engine.sendToIdentity(identityId, { type: 'frame', frame })
      return reached
    },
    async signal(target: string | { connection: string }, name: string, data?: Json) {
      const connectionId = typeof target === 'object' && target !== null ? target.connection : undefined
      checkSignal(connectionId ?? target, name, data)
      const frame: SignalFrame =
        data === undefined ? { type: 'signal', name } : { type: 'signal', name, data }
      if (connectionId === undefined) return server.sendTo(target as string, frame)
      return sendToConnection(connectionId, { type: 'frame', frame })
    },
    async closeByIdentity(
      identityId: string,
      reason: WireErrorCode = 'FORBIDDEN',
      message = 'closed by the server',
    ) {
      const reached = registry.ofIdentity(identityId).filter((c) => c.state === 'open').length
      await engine.sendToIdentity(identityId, { type: 'close', code: reason, message })
      return reached
    },
    async presence(topic) {
      return engine.presence(topic)
    },
    schedule(cron, topic, run, scheduleOptions = {}) {
      refuseWhenClosing(`schedule ${scheduleOptions.name ?? `${topic} ${cron}`}`)
      return work.schedules.add({ ...scheduleOptions, cron, topic, run })
    },
    derive(topic, definition) {
      refuseWhenClosing(`derive ${topic}`)
      const derived = work.derived.add(topic, definition)
      work.answerDerivedSnapshots()
      return derived
    },
    onPublish(pattern, handler, effectOptions) {
      return work.effects.add(pattern, handler, effectOptions)
    },
    use(middleware) {
      if (typeof middleware !== 'function') {
        throw new TypeError(
          `use(middleware): middleware must be a (ctx, next) => … function, received ${typeof middleware}`,
        )
      }
      // A new list each time: commands already running go on with the one they started with.
      resolved.middleware = [...resolved.middleware, middleware]
      let removed = false
      return () => {
        if (removed) return
        removed = true
        const list = [...resolved.middleware]
        const index = list.indexOf(middleware)
        if (index >= 0) list.splice(index, 1)
        resolved.middleware = list
      }
    },
    source(name, start) {
      refuseWhenClosing(`source ${name}`)
      return work.sources.add(name, start)
    },
    stats,
    connections: () => registry.all().map((connection) => connection.info()),
    close(closeOptions: CloseOptions = {}) {
      closed ??= shutdown(closeOptions)
      return closed
    },
  }

  /** One connection, here or on the node its id names (`<node>.<uuid>`, with a networked engine). */
  async function sendToConnection(connectionId: string, message: IdentityMessage): Promise<number> {
    const local = registry.get(connectionId)
    if (local !== undefined) {
      deliverMessage(local, message)
      return local.state === 'open' ? 1 : 0
    }
    const dot = connectionId.indexOf('.')
    const node = dot > 0 ? connectionId.slice(0, dot) : undefined
    if (node === undefined || node === engine.nodeId || engine.sendToConnection === undefined) return 0
    return (await engine.sendToConnection(node, connectionId, message)) ? 1 : 0
  }

  async function shutdown({ retryAfterMs = 1_000, retrySpreadMs }: CloseOptions): Promise<void> {
    setClosing()
    // Producers first: what they publish while stopping is still flushed and delivered below.
    await work.stopProducers(resolved.shutdownTimeoutMs)
    publisher.flush()
    const connections = registry.all()
    // One hint for all would bring the whole fleet back in the same instant, at a server that has
    // just started: each connection gets its own, and the default window grows with the fleet.
    const spreadMs = retrySpreadMs ?? Math.max(retryAfterMs, connections.length)
    for (const connection of connections) {
      const hint = retryAfterMs + Math.floor(Math.random() * spreadMs)
      connection.sendFrame({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: hint })
      connection.close(CloseCode.ServiceRestart, 'SHUTTING_DOWN')
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.all(connections.map((connection) => connection.closed)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, resolved.shutdownTimeoutMs)
      }),
    ])
    clearTimeout(timer)
    for (const connection of registry.all()) {
      connection.sink.terminate()
      connection.handleClosed(CloseCode.ServiceRestart, 'SHUTTING_DOWN')
    }
    ws.close()
    await work.finish(resolved.shutdownTimeoutMs)
    await dispose()
    await Promise.all(
      [...ownServers].map(
        (http) =>
          new Promise<void>((resolve) => {
            http.close(() => resolve())
            http.closeAllConnections()
          }),
      ),
    )
  }

  for (const definition of listOption(options.schedules, 'schedules', '{ cron, topic, run }')) {
    server.schedule(definition.cron, definition.topic, definition.run, definition)
  }
  for (const { topic, ...definition } of listOption(
    options.derived,
    'derived',
    '{ topic, from, initial, reduce }',
  )) {
    server.derive(topic, definition)
  }
  for (const { topic, handler, ...effectOptions } of listOption(
    options.effects,
    'effects',
    '{ topic, handler }',
  )) {
    server.onPublish(topic, handler, effectOptions)
  }
  return server
}
