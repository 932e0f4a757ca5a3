import type { ClientFrame, ServerFrame } from '@sluice/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Middleware, MiddlewareContext } from '../src/core/middleware'
import { defineProcedure, type ErrorContext, type StandardSchemaV1 } from '../src/options'
import { ServerError } from '../src/server-error'
import { ofType, postCommands, SsePeer, serverPerTest, type WsPeer } from './helpers'

const fixture = serverPerTest()
const byToken = ({ token }: { token?: string | undefined }) => (token ? { id: token } : null)
const answers = (frame: ServerFrame) =>
  frame.type === 'result' || frame.type === 'error' || frame.type === 'ack'

/** Sends one command and returns its answer (answers of concurrent commands may come in any order). */
async function ask(peer: WsPeer, frame: ClientFrame): Promise<ServerFrame> {
  peer.send(frame)
  return peer.next(answers)
}

afterEach(() => {
  vi.useRealTimers()
})

// Trims `title` and refuses anything without one: the middleware must see the trimmed value.
const titled: StandardSchemaV1<unknown, { title: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => {
      const title = (value as { title?: unknown } | undefined)?.title
      return typeof title === 'string' && title.trim() !== ''
        ? { value: { title: title.trim() } }
        : { issues: [{ message: 'required', path: ['title'] }] }
    },
  },
}

/** A middleware that logs what it sees on the way in and out. */
const logging =
  (name: string, log: string[]): Middleware =>
  async (ctx, next) => {
    log.push(`${name} in ${what(ctx)}`)
    await next()
    log.push(`${name} out ${ctx.type === 'call' ? JSON.stringify(ctx.result) : `seq ${ctx.position?.seq}`}`)
  }

const what = (ctx: MiddlewareContext) =>
  ctx.type === 'call'
    ? `call ${ctx.name} ${JSON.stringify(ctx.args)} by ${ctx.identity?.id ?? 'anonymous'}`
    : `publish ${ctx.topic} ${ctx.event.kind} by ${ctx.identity?.id ?? 'anonymous'}`

describe('middleware', () => {
  it('wraps calls and publishes in onion order: the option list first, then use(), each in order', async () => {
    const log: string[] = []
    const t = await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'authenticated', publish: 'authenticated' }],
      middleware: [logging('a', log), logging('b', log)],
      procedures: {
        add: {
          guard: 'authenticated',
          handler: ({ x, y }: { x: number; y: number }) => {
            log.push('procedure')
            return x + y
          },
        },
      },
    })
    t.server.use(logging('c', log))
    const { peer } = await fixture.open('v=1&token=alice')
    peer.send({ type: 'call', id: 'c1', name: 'add', args: { x: 2, y: 3 } })
    expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c1', result: 5 })
    peer.send({ type: 'publish', id: 'p1', topic: 'chat', kind: 'created' })
    expect(await peer.next(answers)).toEqual({
      type: 'ack',
      id: 'p1',
      topic: 'chat',
      epoch: expect.any(String),
      seq: 1,
    })
    expect(log).toEqual([
      'a in call add {"x":2,"y":3} by alice',
      'b in call add {"x":2,"y":3} by alice',
      'c in call add {"x":2,"y":3} by alice',
      'procedure',
      'c out 5',
      'b out 5',
      'a out 5',
      'a in publish chat created by alice',
      'b in publish chat created by alice',
      'c in publish chat created by alice',
      'c out seq 1',
      'b out seq 1',
      'a out seq 1',
    ])
  })

  it('runs after the guard and the schema (it sees the validated arguments) and after topic authorization', async () => {
    const log: string[] = []
    await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'anyone', publish: 'authenticated' }],
      middleware: [logging('m', log)],
      procedures: {
        rename: defineProcedure({ input: titled, guard: 'authenticated', handler: ({ title }) => title }),
      },
    })
    const { peer: anonymous } = await fixture.open()
    expect(await ask(anonymous, { type: 'call', id: 'c1', name: 'rename', args: { title: 'x' } })).toEqual({
      type: 'error',
      id: 'c1',
      code: 'FORBIDDEN',
      message: 'not allowed to call rename',
    })
    expect(await ask(anonymous, { type: 'publish', id: 'p1', topic: 'chat', kind: 'created' })).toEqual({
      type: 'error',
      id: 'p1',
      code: 'FORBIDDEN',
      message: 'not allowed to publish to chat: the rule chat does not allow publish',
      topic: 'chat',
    })
    const { peer } = await fixture.open('v=1&token=alice')
    peer.send({ type: 'call', id: 'c2', name: 'rename', args: {} })
    expect(await peer.next(answers)).toMatchObject({ id: 'c2', code: 'VALIDATION' })
    peer.send({ type: 'call', id: 'c3', name: 'rename', args: { title: '  Ship it ' } })
    expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c3', result: 'Ship it' })
    expect(log).toEqual(['m in call rename {"title":"Ship it"} by alice', 'm out "Ship it"'])
  })

  it('refuses with a ServerError: the client gets its code, the procedure does not run, nothing is appended', async () => {
    let ran = 0
    const errors: ErrorContext[] = []
    const t = await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'anyone', publish: 'anyone' }],
      onError: (_error, context) => void errors.push(context),
      middleware: [
        (ctx, next) => {
          if (ctx.identity?.id === 'mallory') {
            throw new ServerError('FORBIDDEN', `mallory is suspended (${ctx.type})`)
          }
          return next()
        },
      ],
      procedures: {
        ping: {
          guard: 'anyone',
          handler: () => {
            ran++
            return 'pong'
          },
        },
      },
    })
    const { peer: watcher } = await fixture.open('v=1&token=bob')
    watcher.send({ type: 'subscribe', topic: 'chat' })
    await watcher.next(ofType('subscribed'))
    const { peer } = await fixture.open('v=1&token=mallory')
    expect(await ask(peer, { type: 'call', id: 'c1', name: 'ping' })).toEqual({
      type: 'error',
      id: 'c1',
      code: 'FORBIDDEN',
      message: 'mallory is suspended (call)',
    })
    expect(await ask(peer, { type: 'publish', id: 'p1', topic: 'chat', kind: 'created' })).toEqual({
      type: 'error',
      id: 'p1',
      code: 'FORBIDDEN',
      message: 'mallory is suspended (publish)',
      topic: 'chat',
    })
    expect(ran).toBe(0)
    expect(t.server.stats().eventsPublished).toBe(0)
    // Bob's publish is the topic's first event: mallory's was never appended.
    watcher.send({ type: 'publish', id: 'p2', topic: 'chat', kind: 'created' })
    expect(await watcher.next(ofType('event'))).toMatchObject({ seq: 1, publishId: 'p2' })
    expect(errors).toEqual([])
  })

  it('passes ctx.state to the procedure and may stamp the event before it is appended', async () => {
    await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'anyone', publish: 'anyone' }],
      middleware: [
        async (ctx, next) => {
          ctx.state.tenant = `tenant-of-${ctx.identity?.id}`
          if (ctx.type === 'publish') ctx.event.meta = { ...ctx.event.meta, author: ctx.identity?.id ?? null }
          await next()
        },
      ],
      procedures: {
        whereAmI: { guard: 'anyone', handler: (_args, ctx) => ctx.state.tenant as string },
      },
    })
    const { peer } = await fixture.open('v=1&token=alice')
    peer.send({ type: 'subscribe', topic: 'chat' })
    await peer.next(ofType('subscribed'))
    peer.send({ type: 'call', id: 'c1', name: 'whereAmI' })
    expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c1', result: 'tenant-of-alice' })
    peer.send({ type: 'publish', id: 'p1', topic: 'chat', kind: 'created', meta: { author: 'forged' } })
    expect(await peer.next(ofType('event'))).toMatchObject({
      seq: 1,
      publishId: 'p1',
      meta: { author: 'alice' },
    })
  })

  it('times a call around next(): the code after it runs once the procedure is done', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_000_000)
    const timings: Array<{ name: string; ms: number }> = []
    await fixture.start({
      authenticate: byToken,
      middleware: [
        async (ctx, next) => {
          const started = Date.now()
          try {
            await next()
          } finally {
            if (ctx.type === 'call') timings.push({ name: ctx.name, ms: Date.now() - started })
          }
        },
      ],
      procedures: {
        slow: {
          guard: 'anyone',
          handler: () => {
            vi.setSystemTime(Date.now() + 250)
            return 'done'
          },
        },
        failing: {
          guard: 'anyone',
          handler: () => {
            vi.setSystemTime(Date.now() + 40)
            throw new ServerError('NOT_FOUND', 'no such todo')
          },
        },
      },
    })
    const { peer } = await fixture.open('v=1&token=alice')
    peer.send({ type: 'call', id: 'c1', name: 'slow' })
    expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c1', result: 'done' })
    peer.send({ type: 'call', id: 'c2', name: 'failing' })
    expect(await peer.next(answers)).toEqual({
      type: 'error',
      id: 'c2',
      code: 'NOT_FOUND',
      message: 'no such todo',
    })
    expect(timings).toEqual([
      { name: 'slow', ms: 250 },
      { name: 'failing', ms: 40 },
    ])
  })

  it('answers INTERNAL for what is not a ServerError and reports it to onError, like a procedure', async () => {
    const errors: Array<{ error: unknown; context: ErrorContext }> = []
    await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'anyone', publish: 'anyone' }],
      onError: (error, context) => void errors.push({ error, context }),
      middleware: [
        () => {
          throw new Error('database password in this message')
        },
      ],
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const { peer, welcome } = await fixture.open('v=1&token=alice')
    expect(await ask(peer, { type: 'call', id: 'c1', name: 'ping' })).toEqual({
      type: 'error',
      id: 'c1',
      code: 'INTERNAL',
      message: 'internal server error',
    })
    expect(await ask(peer, { type: 'publish', id: 'p1', topic: 'chat', kind: 'created' })).toEqual({
      type: 'error',
      id: 'p1',
      code: 'INTERNAL',
      message: 'internal server error',
      topic: 'chat',
    })
    const context = { connectionId: welcome.connectionId, identity: { id: 'alice' } }
    expect(errors).toEqual([
      {
        error: new Error('database password in this message'),
        context: { ...context, operation: 'call', topic: undefined },
      },
      {
        error: new Error('database password in this message'),
        context: { ...context, operation: 'publish', topic: 'chat' },
      },
    ])
  })

  it('answers a call without the procedure when it sets ctx.result and skips next()', async () => {
    let ran = 0
    await fixture.start({
      authenticate: byToken,
      middleware: [
        async (ctx, next) => {
          if (ctx.type === 'call' && ctx.name === 'price') {
            ctx.result = { cached: true }
            return
          }
          await next()
        },
      ],
      procedures: {
        price: {
          guard: 'anyone',
          handler: () => {
            ran++
            return { cached: false }
          },
        },
      },
    })
    const { peer } = await fixture.open()
    peer.send({ type: 'call', id: 'c1', name: 'price' })
    expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c1', result: { cached: true } })
    expect(ran).toBe(0)
  })

  it('fails a publish whose middleware neither calls next() nor throws, or breaks the event', async () => {
    const errors: unknown[] = []
    await fixture.start({
      authenticate: byToken,
      rules: [
        { topic: 'a', publish: 'anyone' },
        { topic: 'b', publish: 'anyone' },
      ],
      onError: (error) => void errors.push(error),
      middleware: [
        async (ctx, next) => {
          if (ctx.type !== 'publish') return next()
          if (ctx.topic === 'a') return
          ctx.event.kind = 'Not A Kind'
          await next()
        },
      ],
    })
    const { peer } = await fixture.open()
    expect(await ask(peer, { type: 'publish', id: 'p1', topic: 'a', kind: 'created' })).toEqual({
      type: 'error',
      id: 'p1',
      code: 'INTERNAL',
      message: 'internal server error',
      topic: 'a',
    })
    expect(await ask(peer, { type: 'publish', id: 'p2', topic: 'b', kind: 'created' })).toEqual({
      type: 'error',
      id: 'p2',
      code: 'INTERNAL',
      message: 'internal server error',
      topic: 'b',
    })
    expect(errors).toEqual([
      new TypeError(
        'middleware returned without calling next() for publish p1 to a: call next(), or throw a ServerError to refuse it',
      ),
      new TypeError(
        'middleware changed the event of a publish to b: kind must be a lowercase word such as "created", received "Not A Kind"',
      ),
    ])
  })

  it('use() returns a remover, and refuses what is not a function', async () => {
    const log: string[] = []
    const t = await fixture.start({
      authenticate: byToken,
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const remove = t.server.use(logging('m', log))
    const { peer } = await fixture.open()
    peer.send({ type: 'call', id: 'c1', name: 'ping' })
    await peer.next(answers)
    remove()
    remove()
    peer.send({ type: 'call', id: 'c2', name: 'ping' })
    expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c2', result: 'pong' })
    expect(log).toEqual(['m in call ping undefined by anonymous', 'm out "pong"'])
    expect(() => t.server.use('log' as never)).toThrow(
      new TypeError('use(middleware): middleware must be a (ctx, next) => … function, received string'),
    )
  })

  it('runs for commands posted on the SSE command channel too', async () => {
    const log: string[] = []
    const t = await fixture.start({
      authenticate: byToken,
      middleware: [logging('m', log)],
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const { peer, welcome } = await SsePeer.open(t.url, 'v=1&token=alice')
    if (!peer || !welcome) throw new Error('the SSE stream did not open')
    try {
      expect(await postCommands(t.url, welcome, { type: 'call', id: 'c1', name: 'ping' })).toEqual({
        status: 202,
        body: { accepted: 1 },
      })
      expect(await peer.next(answers)).toEqual({ type: 'result', id: 'c1', result: 'pong' })
      expect(log).toEqual(['m in call ping undefined by alice', 'm out "pong"'])
    } finally {
      await peer.close()
    }
  })

  it('refuses a middleware option that is not a list of functions, naming the entry', async () => {
    await expect(fixture.start({ middleware: [() => {}, 'x' as never] })).rejects.toThrow(
      new TypeError('middleware[1] must be a (ctx, next) => … function, received string'),
    )
  })
})
