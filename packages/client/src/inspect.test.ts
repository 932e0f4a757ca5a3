import type { ClientFrame, ServerFrame } from '@sluice/protocol'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { event, subscribed } from '../test/flows'
import { advance, seqLog, setup, useFakeTime } from '../test/helpers'
import { ClientError } from './client-error'
import type { ConnectionState } from './connection-state'
import { type ClientInspector, inspect } from './inspect'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

/** An inspector that records what it is told, as `in type`, `out type` and `status` lines. */
function recorder() {
  const log: string[] = []
  const received: ServerFrame[] = []
  const sent: ClientFrame[] = []
  const inspector: ClientInspector = {
    received(frame) {
      received.push(frame)
      log.push(`in ${frame.type}`)
    },
    sent(frame) {
      sent.push(frame)
      log.push(`out ${frame.type}`)
    },
    connection(state: ConnectionState) {
      log.push(`${state.status} ${state.transport}`)
    },
  }
  return { log, received, sent, inspector }
}

test('sees the frames both ways in order, the connection states, and the commands awaiting answers', async () => {
  const { server, client } = setup({ lazy: true })
  const seen = recorder()
  const handle = inspect(client, seen.inspector)
  client.subscribe('todos', { merge: seqLog() })
  await advance(0)
  const subscribe = seen.sent[0] as ClientFrame & { id: string }
  expect(handle.pending()).toEqual([subscribe.id])
  server.last.send([subscribed('todos', 0), event('todos', 1)])
  await advance(0)
  expect(handle.pending()).toEqual([])

  const published = client.publish('todos', { kind: 'created', key: 't', data: 1 }, { id: 'p1' })
  await advance(0)
  expect(handle.pending()).toEqual(['p1'])
  server.last.send({ type: 'ack', id: 'p1', epoch: 'e1', seq: 2 })
  await expect(published).resolves.toEqual({ epoch: 'e1', seq: 2, duplicate: false })
  expect(handle.pending()).toEqual([])

  expect(seen.log).toEqual([
    'idle null',
    'connecting null',
    'connecting ws',
    'open ws',
    'out subscribe',
    'in subscribed',
    'in event',
    'out publish',
    'in ack',
  ])
  expect(seen.received[2]).toEqual({ type: 'ack', id: 'p1', epoch: 'e1', seq: 2 })
  client.close()
  expect(seen.log.at(-1)).toBe('closed null')
})

test('a publish issued while disconnected is pending before any frame carries its id', async () => {
  const { client } = setup({ lazy: true })
  const seen = recorder()
  const handle = inspect(client, seen.inspector)
  void client.publish('todos', { kind: 'created' }, { id: 'queued' }).catch(() => {})
  expect(handle.pending()).toEqual(['queued'])
  expect(seen.sent).toEqual([])
  client.close()
})

test('several inspectors watch one client; each detach stops only its own', async () => {
  const { server, client } = setup()
  await advance(0)
  const first = recorder()
  const second = recorder()
  const firstHandle = inspect(client, first.inspector)
  const secondHandle = inspect(client, second.inspector)
  client.subscribe('todos', { merge: seqLog() })
  await advance(0)
  firstHandle.detach()
  server.last.send(subscribed('todos', 0))
  await advance(0)
  expect(first.log).toEqual(['open ws', 'out subscribe'])
  expect(second.log).toEqual(['open ws', 'out subscribe', 'in subscribed'])

  secondHandle.detach()
  secondHandle.detach()
  server.last.send(event('todos', 1))
  await advance(0)
  client.close()
  expect(second.log).toEqual(['open ws', 'out subscribe', 'in subscribed'])
})

test('refuses an object that is not a client, naming the call', () => {
  let error: unknown
  try {
    inspect({} as never, recorder().inspector)
  } catch (caught) {
    error = caught
  }
  expect(error).toBeInstanceOf(ClientError)
  expect((error as ClientError).code).toBe('BAD_REQUEST')
  expect((error as ClientError).message).toBe('inspect: the client must be one created by createClient')
})
