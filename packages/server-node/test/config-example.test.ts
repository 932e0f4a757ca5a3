// Starts the real CLI with the config file the server README shows, copied from the README as
// it is, and checks what the file promises: rules, JWT, procedures with a schema and a guard,
// the snapshot provider and a source the server owns.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type CliRun, listening, logLines, startCli } from './cli-process'
import { ofType, SsePeer, WsPeer } from './helpers'

const packageDir = new URL('..', import.meta.url).pathname
// Inside the package, so the file's imports (zod, @sluice/server-node) resolve as in an app.
const folder = mkdtempSync(join(packageDir, 'test', '.config-example-'))
const SECRET = 'config-example-secret-0123456789abcdef'

function readmeExample(): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### The config file'))
  const match = /```js\n([\s\S]*?)```/.exec(section)
  if (!match?.[1]) throw new Error('the README has no config example under "### The config file"')
  return match[1]
}

const runs: CliRun[] = []
afterEach(() => {
  for (const run of runs.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL')
})
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const token = (sub: string, claims: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))

describe('the README config example', () => {
  it('starts the CLI and does what it says', async () => {
    const file = join(folder, 'sluice.config.js')
    writeFileSync(file, readmeExample())
    // A package.json marking the folder as ESM, as an app's would.
    writeFileSync(join(folder, 'package.json'), '{"type":"module"}')
    const run = startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], {
      JWT_SECRET: SECRET,
      SLUICE_ADMIN_KEYS: 'admin-key',
    })
    runs.push(run)
    const line = await listening(run)
    expect(line).toMatchObject({ config: file, sources: 1 })
    const base = `http://127.0.0.1:${line.port}/realtime`

    // No token: refused, as the JWT option without allowAnonymous says.
    const anonymous = await SsePeer.open(base, 'v=1')
    expect(anonymous.response.status).toBe(401)

    const { peer: bob } = await WsPeer.open(base, `v=1&token=${await token('bob')}`)
    bob.send([
      { type: 'subscribe', id: 's1', topic: 'todos', snapshot: 'always' },
      { type: 'subscribe', id: 's2', topic: 'ops:health' },
      { type: 'subscribe', id: 's3', topic: 'user:bob:inbox' },
      { type: 'subscribe', id: 's4', topic: 'user:alice:inbox' },
      { type: 'subscribe', id: 's5', topic: 'chat:lobby' },
    ])
    const answers = await bob.collect((f) => f.type === 'subscribed' || f.type === 'error', 5)
    const byId = Object.fromEntries(
      answers.map((f) => [(f as { id: string }).id, f.type === 'error' ? f.code : f.type]),
    )
    expect(byId).toEqual({
      s1: 'subscribed',
      s2: 'FORBIDDEN',
      s3: 'subscribed',
      s4: 'FORBIDDEN',
      s5: 'subscribed',
    })

    bob.send([
      { type: 'call', id: 'c1', name: 'todos.add', args: { title: '  Ship it ' } },
      { type: 'call', id: 'c2', name: 'todos.add', args: { title: '' } },
      { type: 'call', id: 'c3', name: 'admin.reset' },
      { type: 'publish', id: 'p1', topic: 'chat:lobby', kind: 'created', data: 'hi' },
    ])
    // Answers on different topics come in any order: collect() looks at every frame so far.
    const [result] = await bob.collect(
      ofType('result', (f) => f.id === 'c1'),
      1,
    )
    expect(result).toMatchObject({ result: { title: 'Ship it' } })
    const [created] = await bob.collect(
      ofType('event', (f) => f.topic === 'todos'),
      1,
    )
    expect(created).toMatchObject({ kind: 'created', data: { title: 'Ship it' } })
    const errors = await bob.collect(ofType('error'), 4)
    expect(
      errors
        .filter((f) => 'id' in f && (f.id === 'c2' || f.id === 'c3'))
        .map((f) => (f as { code: string }).code)
        .sort(),
    ).toEqual(['FORBIDDEN', 'VALIDATION'])
    expect(
      await bob.collect(
        ofType('ack', (f) => f.id === 'p1'),
        1,
      ),
    ).toHaveLength(1)

    // A late joiner starts from the snapshot provider, not an empty list.
    const { peer: carol } = await WsPeer.open(base, `v=1&token=${await token('carol')}`)
    carol.send({ type: 'subscribe', id: 'late', topic: 'todos', snapshot: 'always' })
    expect(await carol.next(ofType('snapshot'))).toMatchObject({ data: [{ title: 'Ship it' }] })

    // An admin may read ops:** and reset; the operations API answers the admin key from the env.
    const { peer: admin } = await WsPeer.open(base, `v=1&token=${await token('root', { role: 'admin' })}`)
    admin.send([
      { type: 'subscribe', id: 'o', topic: 'ops:health' },
      { type: 'call', id: 'r', name: 'admin.reset' },
    ])
    expect(await admin.next(ofType('subscribed'))).toMatchObject({ topic: 'ops:health' })
    expect(await admin.next(ofType('result'))).toMatchObject({ id: 'r' })
    const status = await fetch(`${base}/status`, { headers: { authorization: 'Bearer admin-key' } })
    expect(status.status).toBe(200)
    // The config's source is the server's own (sluice.source), listed by its place in the list.
    expect(((await status.json()) as { sources: unknown }).sources).toEqual([
      { name: 'sources[0]', state: 'running', error: null, startedAt: expect.any(Number) },
    ])
    for (const peer of [bob, carol, admin]) peer.ws.terminate()

    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
    expect(logLines(run).map((entry) => entry.msg)).toContain('sluice-server stopped')
  }, 60_000)

  it('serves the routes of a config, and stops its sources before the server stops', async () => {
    const file = join(folder, 'routes.config.mjs')
    writeFileSync(
      file,
      `export default async () => ({
        rules: [{ topic: 'ticks', subscribe: 'anyone' }],
        routes: { '/hooks/ping': (req, res) => res.end('pong ' + req.method) },
        sources: [
          (server, { signal }) => {
            signal.addEventListener('abort', () => console.error('signal aborted'))
            return () => console.error('source stopped')
          },
          (server) => ({ stop: async () => console.error('handle stopped') }),
        ],
      })`,
    )
    const run = startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'])
    runs.push(run)
    const line = await listening(run)
    expect(line).toMatchObject({ sources: 2 })
    const answer = await fetch(`http://127.0.0.1:${line.port}/hooks/ping`, { method: 'POST' })
    expect(await answer.text()).toBe('pong POST')
    // Paths without a route still reach Sluice.
    expect((await fetch(`http://127.0.0.1:${line.port}/healthz`)).status).toBe(200)
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
    expect(run.stderr().trim().split('\n')).toEqual(['signal aborted', 'source stopped', 'handle stopped'])
  }, 60_000)

  it('exits with 2 naming what is wrong in a config file', async () => {
    const cases: Array<[string, string, string]> = [
      ['typo.json', '{"rules": [], "alowedOrigins": ["x"]}', 'unknown setting "alowedOrigins"'],
      [
        'rules.json',
        '{"rules": [{"topic": "a:*", "subscribe": "owner"}]}',
        "rules[0].subscribe is 'owner' but the pattern has no {sub} segment naming the owner",
      ],
      [
        'bad.json',
        '{"maxConnections": 0}',
        'maxConnections in the config file must be an integer ≥ 1, got "0"',
      ],
      ['broken.json', '{', 'is not valid JSON'],
      ['missing.js', '', 'does not exist'],
    ]
    const outcomes = await Promise.all(
      cases.map(async ([name, text, message]) => {
        const file = join(folder, name)
        if (text !== '') writeFileSync(file, text)
        const run = startCli(['--config', file, '--port', '0'])
        runs.push(run)
        const code = await run.exit
        return { name, code, said: run.stderr().includes(message) ? message : run.stderr() }
      }),
    )
    expect(outcomes).toEqual(cases.map(([name, , message]) => ({ name, code: 2, said: message })))
  }, 60_000)
})
