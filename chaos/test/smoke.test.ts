import { createSluiceServer } from '@sluice/server-node'
import { afterEach, expect, test } from 'vitest'

// Placeholder removed once the suites land; proves the package wiring runs.
const servers: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

test('a server starts and answers /healthz', async () => {
  const sluice = createSluiceServer({ logger: false })
  servers.push(sluice)
  const { port } = await sluice.listen(0)
  const response = await fetch(`http://127.0.0.1:${port}/healthz`)
  expect(response.status).toBe(200)
})
