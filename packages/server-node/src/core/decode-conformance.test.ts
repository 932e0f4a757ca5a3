import type { ErrorFrame } from '@sluice/protocol'
import fixtures from '@sluice/protocol/fixtures/client-frames.invalid.json'
import { describe, expect, it } from 'vitest'
import { createTestRuntime, openFakeConnection } from '../../test/fake-connection'

// The protocol's invalid client messages, fed to a connection: each must be answered with
// exactly the fixture's code, id and field, and leave the connection open.
type Case = {
  name: string
  text: string
  level: 'message' | 'frame'
  options?: { maxFrameBytes?: number; maxBatch?: number; maxTopicLength?: number } | null
  error: { code: string; field?: string; id?: string }
}

describe('a connection against the invalid client-frame fixtures', () => {
  it.each((fixtures.cases as Case[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const runtime = createTestRuntime({ rateLimit: false, limits: testCase.options ?? {} })
    const { connection, sink } = openFakeConnection(runtime)
    connection.handleText(testCase.text)
    const errors = sink.frames().filter((f): f is ErrorFrame => f.type === 'error')
    expect(errors).toHaveLength(1)
    const [error] = errors as [ErrorFrame]
    expect({ code: error.code, field: error.field, id: error.id }).toEqual({
      code: testCase.error.code,
      field: testCase.error.field,
      id: testCase.level === 'message' ? undefined : testCase.error.id,
    })
    expect(connection.state).toBe('open')
  })
})
