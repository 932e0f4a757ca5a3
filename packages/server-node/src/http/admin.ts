import { createHash, timingSafeEqual } from 'node:crypto'
import {
  isValidSignalName,
  isValidTopic,
  type Json,
  MAX_NAME_LENGTH,
  type Position,
  ProtocolError,
  parsePosition,
  type WireErrorCode,
} from '@sluice/protocol'
import { isExposable } from '../core/errors'
import { readHistoryPage } from '../core/history-page'
import type { Runtime } from '../core/runtime'
import { ServerError } from '../server-error'
import type { ServerStats } from '../server-types'
import type { HttpReply, HttpRequest } from './http-request'
import { sendJson, sendRefusal } from './respond'

/** The codes `POST <base>/admin/disconnect` may close with: terminal, or back with fresh credentials. */
const DISCONNECT_CODES: readonly WireErrorCode[] = ['FORBIDDEN', 'UNAUTHORIZED']
/** Longest `message` of a disconnect: it travels in the error frame each connection gets. */
const MAX_MESSAGE_LENGTH = 256
const DEFAULT_HISTORY_LIMIT = 100
const MAX_HISTORY_LIMIT = 1000

type Handler = (req: HttpRequest, res: HttpReply, url: URL) => Promise<void>

/** The operations endpoints, by name; the router maps them to paths. */
export interface AdminEndpoints {
  status: Handler
  disconnect: Handler
  presence: Handler
  topics: Handler
  history: Handler
  signal: Handler
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * Refuses a request that does not carry one of the admin keys. Only the `Authorization` header counts:
 * a key in a query string would end up in access logs. Keys are compared as SHA-256 digests
 * with timingSafeEqual, so neither the content nor the length of a key leaks through timing,
 * and every key is compared, so timing does not tell which one matched.
 */
function checkAdminKey(keys: readonly string[], req: HttpRequest): void {
  if (keys.length === 0) {
    throw new ServerError('FORBIDDEN', 'the admin API is off: start the server with adminKeys')
  }
  const header = req.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null
  if (!match) {
    throw new ServerError('UNAUTHORIZED', 'an admin key is required: authorization: Bearer <admin key>')
  }
  const given = digest(match[1] as string)
  let allowed = false
  for (const key of keys) {
    if (timingSafeEqual(digest(key), given)) allowed = true
  }
  if (!allowed) throw new ServerError('UNAUTHORIZED', 'the admin key is not valid')
}

const bad = (endpoint: string, field: string, expected: string) =>
  new ProtocolError('BAD_REQUEST', `${endpoint}: ${field} must be ${expected}`, { field, expected })

async function readObject(req: HttpRequest, maxBytes: number, endpoint: string, shape: string) {
  const text = await req.readBody(maxBytes)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ProtocolError('BAD_REQUEST', `${endpoint}: the body is not valid JSON`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('BAD_REQUEST', `${endpoint}: the body must be an object ${shape}`)
  }
  return body as Record<string, unknown>
}

function identityOf(body: Record<string, unknown>, endpoint: string): string {
  const { identity } = body
  if (typeof identity !== 'string' || identity.length === 0) {
    throw bad(endpoint, 'identity', 'a non-empty string (an identity id)')
  }
  return identity
}

function connectionOf(body: Record<string, unknown>): string {
  const { connection, identity } = body
  if (identity !== undefined) throw bad('signal', 'identity', 'absent when `connection` is given')
  if (typeof connection !== 'string' || connection.length === 0 || connection.length > 200) {
    throw bad('signal', 'connection', 'a connection id (a non-empty string of at most 200 characters)')
  }
  return connection
}

function topicOf(url: URL, endpoint: string, maxTopicLength: number): string {
  const topic = url.searchParams.get('topic')
  if (topic !== null && topic.length > maxTopicLength) {
    throw new ProtocolError(
      'LIMIT_EXCEEDED',
      `${endpoint}: topic is longer than ${maxTopicLength} characters`,
      {
        field: 'topic',
      },
    )
  }
  if (!isValidTopic(topic, maxTopicLength))
    throw bad(endpoint, 'topic', 'a topic name of [A-Za-z0-9._~:@/+=-]')
  return topic
}

function limitOf(url: URL): number {
  const text = url.searchParams.get('limit')
  if (text === null) return DEFAULT_HISTORY_LIMIT
  const limit = /^[1-9][0-9]{0,3}$/.test(text) ? Number(text) : 0
  if (limit < 1 || limit > MAX_HISTORY_LIMIT) {
    throw bad('history', 'limit', `an integer from 1 to ${MAX_HISTORY_LIMIT}`)
  }
  return limit
}

function fromOf(url: URL): Position | undefined {
  const text = url.searchParams.get('from')
  if (text === null) return undefined
  const from = parsePosition(text)
  if (!from) throw bad('history', 'from', 'a position epoch:seq (a next cursor)')
  return from
}

/**
 * The operations API for backends, behind a bearer key from `adminKeys` (never a publish key):
 * `GET <base>/status`, `POST <base>/admin/disconnect`, `GET <base>/admin/presence`,
 * `GET <base>/admin/topics`, `GET <base>/admin/history`, `POST <base>/admin/signal`. With no
 * admin keys configured each answers 403 FORBIDDEN; without a valid key, 401 UNAUTHORIZED.
 * Every answer is JSON; errors are ErrorFrame bodies (docs/PROTOCOL.md § Operations API).
 */
export function createAdminEndpoints(runtime: Runtime, stats: () => ServerStats): AdminEndpoints {
  const { options, engine, hub } = runtime
  const { limits } = options

  const endpoint =
    (name: string, run: (req: HttpRequest, url: URL) => unknown): Handler =>
    async (req, res, url) => {
      try {
        checkAdminKey(options.adminKeys, req)
        sendJson(res, 200, await run(req, url))
      } catch (error) {
        if (!isExposable(error)) runtime.report(error, { operation: `http:admin:${name}` })
        // Logged like every refusal (a wrong admin key is worth seeing), never with the key.
        sendRefusal(res, { logger: runtime.logger, req, transport: 'http' }, error)
      }
    }

  return {
    status: endpoint('status', () => stats()),

    disconnect: endpoint('disconnect', async (req) => {
      const body = await readObject(req, limits.maxFrameBytes, 'disconnect', '{identity, code?, message?}')
      const identity = identityOf(body, 'disconnect')
      const { code = 'FORBIDDEN', message } = body
      if (!DISCONNECT_CODES.includes(code as WireErrorCode)) {
        throw bad('disconnect', 'code', `one of ${DISCONNECT_CODES.join(', ')}`)
      }
      if (message !== undefined && typeof message !== 'string') throw bad('disconnect', 'message', 'a string')
      if (typeof message === 'string' && message.length > MAX_MESSAGE_LENGTH) {
        throw new ProtocolError(
          'LIMIT_EXCEEDED',
          `disconnect: message is longer than ${MAX_MESSAGE_LENGTH} characters`,
          { field: 'message' },
        )
      }
      const disconnected = await runtime.server.closeByIdentity(identity, code as WireErrorCode, message)
      return { disconnected }
    }),

    presence: endpoint('presence', async (_req, url) => {
      const topic = topicOf(url, 'presence', limits.maxTopicLength)
      const members = await engine.presence(topic)
      return { topic, occupancy: members.length, members }
    }),

    topics: endpoint('topics', async () => {
      const local = [...hub.topics()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
      const topics = await Promise.all(
        local.map(async ({ topic, subscribers }) => {
          const { epoch, seq } = await engine.head(topic)
          return { topic, epoch, seq, subscribers }
        }),
      )
      return { topics }
    }),

    history: endpoint('history', async (_req, url) => {
      const topic = topicOf(url, 'history', limits.maxTopicLength)
      return readHistoryPage(engine, topic, fromOf(url), limitOf(url))
    }),

    signal: endpoint('signal', async (req) => {
      const body = await readObject(
        req,
        limits.maxFrameBytes,
        'signal',
        '{identity, name, data?} or {connection, name, data?}',
      )
      // One connection (an id from onConnect or a procedure's ctx), or every one of an identity.
      const target =
        body.connection === undefined ? identityOf(body, 'signal') : { connection: connectionOf(body) }
      const { name } = body
      if (typeof name === 'string' && name.length > MAX_NAME_LENGTH) {
        throw new ProtocolError(
          'LIMIT_EXCEEDED',
          `signal: name is longer than ${MAX_NAME_LENGTH} characters`,
          {
            field: 'name',
          },
        )
      }
      if (!isValidSignalName(name)) throw bad('signal', 'name', 'a signal name of [A-Za-z0-9._~:@/+=-]')
      const reached = await runtime.server.signal(target, name, body.data as Json | undefined)
      return { reached }
    }),
  }
}
