import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { createSluiceServer } from '../src/server'
import type { SluiceServer } from '../src/server-types'
import { ofType, WsPeer } from './helpers'

let http: Server | undefined
let sluice: SluiceServer | undefined
afterEach(async () => {
  await sluice?.close()
  http?.closeAllConnections()
  await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)))
  http = undefined
  sluice = undefined
})

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('embedding in a node:http app', () => {
  it("serves its endpoints through handler + attach and leaves the app's other upgrades alone", async () => {
    sluice = createSluiceServer({ logger: false, basePath: '/rt', adminKeys: ['admin-key'] })
    const appSockets = new WebSocketServer({ noServer: true })
    http = createServer((req, res) => {
      if (req.url?.startsWith('/rt')) return sluice?.handler(req, res)
      res.writeHead(200, { 'content-type': 'text/plain' }).end('app')
    })
    http.on('upgrade', (req, socket, head) => {
      if (req.url === '/app-socket')
        appSockets.handleUpgrade(req, socket, head, (ws) => ws.send('app says hi'))
    })
    sluice.attach(http)
    const origin = await listen(http)

    expect(await (await fetch(`${origin}/`)).text()).toBe('app')
    const status = await fetch(`${origin}/rt/status`, { headers: { authorization: 'Bearer admin-key' } })
    expect(await status.json()).toMatchObject({ protocol: 1 })
    const { peer } = await WsPeer.open(`${origin}/rt`)
    peer.send({ type: 'ping', id: '1' })
    expect(await peer.next(ofType('pong'))).toEqual({ type: 'pong', id: '1' })
    const app = new WebSocket(`${origin.replace('http', 'ws')}/app-socket`)
    const greeting = await new Promise<string>((resolve) =>
      app.once('message', (data) => resolve(data.toString())),
    )
    expect(greeting).toBe('app says hi')
    app.terminate()
    peer.ws.terminate()
    appSockets.close()
  })

  it('answers an upgrade to an unknown path with 404 when nobody else listens for upgrades', async () => {
    sluice = createSluiceServer({ logger: false })
    http = createServer((req, res) => sluice?.handler(req, res))
    sluice.attach(http)
    const origin = await listen(http)
    const error = await WsPeer.connect(`${origin}/elsewhere`).catch((e) => e)
    expect(error.status).toBe(404)
    expect(JSON.parse(error.body)).toEqual({
      type: 'error',
      code: 'NOT_FOUND',
      message: 'no WebSocket endpoint at this path',
    })
  })
})
