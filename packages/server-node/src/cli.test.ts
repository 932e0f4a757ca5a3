import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { type CliRun, listening, logLines, startCli as start } from '../test/cli-process'
import { WsPeer } from '../test/helpers'

const running: CliRun[] = []
afterEach(() => {
  for (const run of running.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL')
})

function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const run = start(args, env)
  running.push(run)
  return run
}

function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const type = res.headers['content-type']
      if (type?.startsWith('text/event-stream')) {
        // A live stream never ends: the status is all this test needs.
        req.destroy()
        resolve({ status: res.statusCode ?? 0, type, body: '' })
        return
      }
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('sluice-server', () => {
  it('listens on a free port, answers /healthz, and exits 0 after SIGTERM', async () => {
    const run = startCli(['--port', '0', '--host', '127.0.0.1'])
    const ready = await listening(run)
    expect(ready.port).toBeGreaterThan(0)
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}/realtime`)

    const health = await get(ready.port as number, '/healthz')
    expect(health).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: '{"status":"ok"}' })
    expect((await get(ready.port as number, '/elsewhere')).status).toBe(404)

    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
    expect(
      logLines(run).map((line) => line.msg),
      run.stdout(),
    ).toEqual(['sluice-server listening', 'sluice-server shutting down', 'sluice-server stopped'])
    expect(run.stderr()).toBe('')
  })

  it('serves a static folder next to the realtime endpoints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'))
    try {
      await writeFile(join(dir, 'index.html'), '<h1>todo</h1>')
      const run = startCli(['--port', '0', '--host', '127.0.0.1'], { SLUICE_STATIC_DIR: dir })
      const { port } = await listening(run)
      expect(await get(port as number, '/')).toEqual({
        status: 200,
        type: 'text/html; charset=utf-8',
        body: '<h1>todo</h1>',
      })
      expect((await get(port as number, '/healthz')).body).toBe('{"status":"ok"}')
      expect((await get(port as number, '/realtime/sse')).status).toBe(400)
      run.child.kill('SIGINT')
      expect(await run.exit).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('verifies JWTs when given a secret', async () => {
    const secret = 'cli-test-secret-long-enough-for-hs256'
    const run = startCli(['--port=0', '--host=127.0.0.1', '--jwt-issuer', 'https://auth.test'], {
      SLUICE_JWT_SECRET: secret,
    })
    const { port } = await listening(run)
    const anonymous = await get(port as number, '/realtime/sse?v=1')
    expect(anonymous.status).toBe(401)
    expect(JSON.parse(anonymous.body)).toEqual({
      type: 'error',
      code: 'UNAUTHORIZED',
      message: 'a token is required',
    })

    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ada')
      .setIssuer('https://auth.test')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret))
    const stream = await get(port as number, '/realtime/sse?v=1', { authorization: `Bearer ${token}` })
    expect(stream.status).toBe(200)
    expect(stream.type).toMatch(/^text\/event-stream/)
    expect(run.stdout()).not.toContain(token)
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('lets anonymous connections in with --allow-anonymous, and refuses client publishes by default', async () => {
    const run = startCli(['--port=0', '--host=127.0.0.1', '--allow-anonymous'], {
      SLUICE_JWT_SECRET: 'cli-test-secret-long-enough-for-hs256',
    })
    const { port } = await listening(run)
    const base = `http://127.0.0.1:${port}/realtime`
    const { peer } = await WsPeer.open(base)
    peer.send([
      { type: 'subscribe', id: 's', topic: 'news' },
      { type: 'publish', id: 'p', topic: 'news', kind: 'created' },
    ])
    const answers = await peer.collect((frame) => frame.type === 'subscribed' || frame.type === 'error', 2)
    expect(answers.map((frame) => (frame.type === 'error' ? [frame.id, frame.code] : [frame.type]))).toEqual([
      ['subscribed'],
      ['p', 'FORBIDDEN'],
    ])
    peer.ws.terminate()
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('accepts 64 KiB of request headers (an SSE reconnect with many topics), as the spec asks, and refuses more with 413', async () => {
    const run = startCli(['--port=0', '--host=127.0.0.1'])
    const { port } = await listening(run)
    const stream = await get(port as number, '/realtime/sse?v=1', { 'x-padding': 'x'.repeat(48 * 1024) })
    expect(stream.status).toBe(200)
    const tooMuch = await get(port as number, '/realtime/sse?v=1', { 'x-padding': 'x'.repeat(70 * 1024) })
    // Past the limit: 413 with a LIMIT_EXCEEDED body (hardenHttpServer), not Node's bare 431.
    expect(tooMuch.status).toBe(413)
    expect(JSON.parse(tooMuch.body)).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('exits 2 with a message for a bad flag', async () => {
    const run = startCli(['--port', 'eighty'])
    expect(await run.exit).toBe(2)
    expect(run.stderr()).toBe(
      'sluice-server: --port must be an integer from 0 to 65535, got "eighty"\nRun sluice-server --help for the options.\n',
    )
    expect(run.stdout()).toBe('')
  })

  it('exits 2 for more than one worker without Redis', async () => {
    const run = startCli(['--workers', '2', '--port', '0'])
    expect(await run.exit).toBe(2)
    expect(run.stderr()).toBe(
      'sluice-server: --workers needs --redis-url: each worker has its own memory engine, so their logs, presence and dedup could not be shared\nRun sluice-server --help for the options.\n',
    )
    expect(run.stdout()).toBe('')
  })

  it.each([[['--port', '0']], [['--port', '0', '--workers', '2']]])(
    'exits 1 with an install hint when @sluice/redis is missing (%j)',
    async (args) => {
      const run = startCli([...args, '--redis-url', 'redis://127.0.0.1:1'], { HIDE_SLUICE_REDIS: '1' })
      expect(await run.exit).toBe(1)
      expect(run.stderr()).toBe(
        'sluice-server: --redis-url needs the @sluice/redis package: npm install @sluice/redis\n',
      )
      expect(run.stdout()).toBe('')
    },
  )

  it('exits 2 when the static folder does not exist', async () => {
    const run = startCli(['--static', '/nonexistent/app'])
    expect(await run.exit).toBe(2)
    expect(run.stderr()).toBe(
      'sluice-server: --static /nonexistent/app is not a folder\nRun sluice-server --help for the options.\n',
    )
  })

  it('tells open streams to reconnect on SIGTERM, with the hint of --shutdown-*-ms, before exiting 0', async () => {
    const run = startCli(['--port', '0', '--host', '127.0.0.1', '--shutdown-retry-ms', '3000'], {
      SLUICE_SHUTDOWN_SPREAD_MS: '0',
    })
    const { port } = await listening(run)
    let stream = ''
    const ended = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/realtime/sse?v=1' }, (res) => {
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          stream += chunk
          if (stream.includes('event: welcome')) run.child.kill('SIGTERM')
        })
        res.on('end', resolve)
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
    await ended
    expect(await run.exit).toBe(0)
    const reconnect = stream.split('\n\n').find((event) => event.includes('event: reconnect'))
    expect(reconnect).toBeDefined()
    const data = JSON.parse((reconnect as string).split('data: ')[1] as string) as Record<string, unknown>
    // A spread of 0 leaves the hint exactly the retry time.
    expect(data).toEqual({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 3000 })
  })

  it('exits 2 when the public key file cannot be read', async () => {
    const run = startCli(['--jwt-public-key-file', '/nonexistent/key.pem'])
    expect(await run.exit).toBe(2)
    expect(run.stderr()).toMatch(
      /^sluice-server: cannot read --jwt-public-key-file \/nonexistent\/key\.pem: ENOENT/,
    )
  })

  it('prints the usage and the version', async () => {
    const help = startCli(['--help'])
    expect(await help.exit).toBe(0)
    expect(help.stdout().split('\n')[0]).toBe('Usage: sluice-server [options]')
    const version = startCli(['--version'])
    expect(await version.exit).toBe(0)
    const { version: expected } = (await import('../package.json', { with: { type: 'json' } })).default
    expect(version.stdout()).toBe(`${expected}\n`)
  })
})
