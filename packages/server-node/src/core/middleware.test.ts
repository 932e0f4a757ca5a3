import { describe, expect, it } from 'vitest'
import type { SluiceServer } from '../server-types'
import { type CallInvocation, type Middleware, runMiddleware } from './middleware'

const call = (): CallInvocation => ({
  type: 'call',
  name: 'add',
  args: { a: 1 },
  identity: null,
  connectionId: 'c1',
  server: {} as SluiceServer,
  state: {},
})

describe('runMiddleware', () => {
  it('runs in onion order: the first registered starts first and ends last', async () => {
    const log: string[] = []
    const named =
      (name: string): Middleware =>
      async (_ctx, next) => {
        log.push(`${name} in`)
        await next()
        log.push(`${name} out`)
      }
    await runMiddleware([named('a'), named('b'), named('c')], call(), async () => {
      log.push('terminal')
    })
    expect(log).toEqual(['a in', 'b in', 'c in', 'terminal', 'c out', 'b out', 'a out'])
  })

  it('refuses a second next() with a TypeError naming the middleware and the call', async () => {
    let terminals = 0
    const twice: Middleware = async (_ctx, next) => {
      await next()
      await next()
    }
    await expect(
      runMiddleware([twice], call(), async () => {
        terminals++
      }),
    ).rejects.toThrow(new TypeError('middleware[0] called next() more than once for call add'))
    expect(terminals).toBe(1)
  })

  it('waits for the chain of a middleware that did not await next(), and fails with it', async () => {
    const log: string[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const careless: Middleware = (_ctx, next) => {
      void next()
    }
    const running = runMiddleware([careless], call(), async () => {
      await gate
      log.push('terminal')
      throw new Error('terminal failed')
    })
    let done = false
    running.catch(() => {
      done = true
    })
    await Promise.resolve()
    await Promise.resolve()
    expect(done).toBe(false)
    release()
    await expect(running).rejects.toThrow('terminal failed')
    expect(log).toEqual(['terminal'])
  })

  it('lets a middleware that awaited next() catch what the rest threw', async () => {
    const ctx = call()
    const fallback: Middleware = async (c, next) => {
      try {
        await next()
      } catch {
        if (c.type === 'call') c.result = 'fallback'
      }
    }
    await runMiddleware([fallback], ctx, async () => {
      throw new Error('procedure failed')
    })
    expect(ctx.result).toBe('fallback')
  })

  it('stops at a middleware that throws: later ones and the terminal do not run', async () => {
    const log: string[] = []
    const refuse: Middleware = () => {
      throw new Error('no')
    }
    const later: Middleware = async (_ctx, next) => {
      log.push('later')
      await next()
    }
    await expect(
      runMiddleware([refuse, later], call(), async () => {
        log.push('terminal')
      }),
    ).rejects.toThrow('no')
    expect(log).toEqual([])
  })

  it('runs the terminal alone when the list is empty', async () => {
    const ctx = call()
    await runMiddleware([], ctx, async () => {
      ctx.result = 3
    })
    expect(ctx.result).toBe(3)
  })
})
