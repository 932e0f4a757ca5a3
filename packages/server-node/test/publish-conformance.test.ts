import { httpStatusFor, type WireErrorCode } from '@sluice/protocol'
import fixtures from '@sluice/protocol/fixtures/publish-requests.json'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../src/testing'

// The protocol's HTTP publish fixtures, sent to the real endpoint.
type Valid = { name: string; body: unknown; request: Record<string, unknown> }
type Invalid = { name: string; body: unknown; error: { code: WireErrorCode; field?: string } }

let t: TestServer
beforeAll(async () => {
  t = await createTestServer({ publishKeys: ['k'] })
})
afterAll(() => t.close())

const post = async (body: unknown) => {
  const response = await fetch(`${t.url}/publish`, {
    method: 'POST',
    headers: { authorization: 'Bearer k' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('POST <base>/publish against the protocol fixtures', () => {
  it.each((fixtures.valid as Valid[]).map((c) => [c.name, c] as const))(
    'accepts: %s',
    async (_name, testCase) => {
      const { status, body } = await post(testCase.body)
      expect(status).toBe(200)
      expect(body).toEqual({ epoch: expect.any(String), seq: expect.any(Number), duplicate: false })
    },
  )

  it.each((fixtures.invalid as Invalid[]).map((c) => [c.name, c] as const))(
    'refuses: %s',
    async (_name, testCase) => {
      const { status, body } = await post(testCase.body)
      expect(status).toBe(httpStatusFor(testCase.error.code))
      expect(body).toMatchObject({ type: 'error', code: testCase.error.code })
      expect(body.field).toBe(testCase.error.field)
    },
  )
})
