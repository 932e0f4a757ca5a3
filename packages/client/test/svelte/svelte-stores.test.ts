// @vitest-environment happy-dom
/**
 * Sluice stores are nanostores atoms, which keep Svelte's store contract (`subscribe(run)` calls
 * `run` at once with the current value and returns the unsubscriber), so Svelte apps use them
 * with `$store`, `get` and `derived` and need no binding package. These tests hold the client to
 * that against a real server on 127.0.0.1: svelte/store's helpers, a server render with
 * svelte/server, and a Svelte 5 component mounted in happy-dom (compiled by svelte/compiler,
 * see compile-plugin.ts) whose unmount ends the subscription at the server.
 */
import { get as httpGet } from 'node:http'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import type { Element, Window } from 'happy-dom'
import { flushSync, mount, unmount } from 'svelte'
import { render } from 'svelte/server'
import { derived, get } from 'svelte/store'
import { afterEach, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import { inspect } from '../../src/inspect'
import { crud } from '../../src/merge/crud'
import { until } from '../integration/harness'
import TodoList from './TodoList.svelte?server'
import Todos from './Todos.svelte'

type Todo = { id: string; title: string }

// happy-dom's globals, typed by happy-dom: the client's tsconfig leaves lib.dom out on purpose
// (the client must not reach for DOM globals), so these are not declared otherwise.
const { document, MutationObserver } = globalThis as unknown as Window

const ADMIN_KEY = 'admin-key-for-svelte-tests'

let server: TestServer | undefined
let client: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  await server?.close()
  client = undefined
  server = undefined
  document.body.innerHTML = ''
})

async function start() {
  server = await createTestServer({
    rules: [{ topic: 'todos', subscribe: 'anyone' }],
    adminKeys: [ADMIN_KEY],
  })
  // WebSocket from ws: happy-dom's globals are not a network stack.
  client = createClient({ url: server.url, transports: ['ws'], WebSocket })
  return { server, client }
}

function publish(topic: string, kind: 'created' | 'updated' | 'deleted', todo: Todo) {
  if (!server) throw new Error(`publish to ${topic}: no server`)
  return server.server.publish(topic, { kind, key: todo.id, data: todo })
}

/** The server's own count of subscribers per topic, from the operations API (node:http, not happy-dom's fetch). */
function serverTopics(url: string): Promise<Array<{ topic: string; subscribers: number }>> {
  return new Promise((resolve, reject) => {
    const request = httpGet(
      `${url}/admin/topics`,
      { headers: { authorization: `Bearer ${ADMIN_KEY}` } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${url}/admin/topics: ${res.statusCode} ${body}`))
          else resolve((JSON.parse(body) as { topics: Array<{ topic: string; subscribers: number }> }).topics)
        })
      },
    )
    request.on('error', reject)
  })
}

/** Resolves once `predicate` holds for `node`, checked after each DOM mutation under it. */
function untilDom(node: Element, predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  if (predicate()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (!predicate()) return
      observer.disconnect()
      clearTimeout(timer)
      resolve()
    })
    const timer = setTimeout(() => {
      observer.disconnect()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; DOM: ${node.innerHTML}`))
    }, timeoutMs)
    observer.observe(node, { childList: true, subtree: true, characterData: true })
  })
}

const items = (node: Element) => [...node.querySelectorAll('li')].map((li) => li.textContent)
const status = (node: Element) => node.querySelector('[data-status]')?.textContent

test('$state keeps the store contract: run at once with the current value, an unsubscriber back', async () => {
  const { client } = await start()
  const todos = client.subscribe('todos', { merge: crud<Todo>() })

  const seen: string[] = []
  const stop = todos.$state.subscribe((state) => seen.push(state.status))
  // Synchronously, before any event: Svelte reads the first value during the subscribe call.
  expect(seen).toEqual([todos.$state.get().status])
  expect(get(todos.$state)).toBe(todos.$state.get())

  await until(todos.$state, (s) => s.status === 'live', 'live')
  stop()
  const afterStop = seen.length
  await publish('todos', 'created', { id: 'a', title: 'A' })
  await until(todos.$state, (s) => s.position?.seq === 1, 'the first event')
  expect(seen.length).toBe(afterStop)
})

test('svelte/store derived follows the events in order; get reads the current value', async () => {
  const { client } = await start()
  const todos = client.subscribe('todos', { merge: crud<Todo>() })
  // A string, so Svelte's equality check drops the notifications that change no title.
  const titles = derived(todos.$state, (state) => state.data.items.map((todo) => todo.title).join(','))
  const seen: string[] = []
  const stop = titles.subscribe((value) => seen.push(value))

  await until(todos.$state, (s) => s.status === 'live', 'live')
  await publish('todos', 'created', { id: 'a', title: 'A' })
  await until(todos.$state, (s) => s.position?.seq === 1, 'event 1')
  await publish('todos', 'created', { id: 'b', title: 'B' })
  await until(todos.$state, (s) => s.position?.seq === 2, 'event 2')
  await publish('todos', 'updated', { id: 'a', title: 'A2' })
  await until(todos.$state, (s) => s.position?.seq === 3, 'event 3')
  await publish('todos', 'deleted', { id: 'b', title: 'B' })
  await until(todos.$state, (s) => s.position?.seq === 4, 'event 4')

  expect(seen).toEqual(['', 'A', 'A,B', 'A2,B', 'A2'])
  expect(get(titles)).toBe('A2')
  stop()
})

test('svelte/server renders a live subscription through $store', async () => {
  const { client } = await start()
  const todos = client.subscribe('todos', { merge: crud<Todo>() })
  await until(todos.$state, (s) => s.status === 'live', 'live')
  await publish('todos', 'created', { id: 'a', title: 'A' })
  await publish('todos', 'created', { id: 'b', title: 'B' })
  await until(todos.$state, (s) => s.position?.seq === 2, 'two events')

  const { body } = render(TodoList, { props: { todos: todos.$state } })
  // Svelte's hydration markers are comments; the markup between them is the list.
  expect(body.replace(/<!--[^>]*-->/g, '')).toBe('<ul><li>A</li><li>B</li></ul>')
})

test('a mounted component shows each event as it arrives; unmount unsubscribes at the server', async () => {
  const { server, client } = await start()
  // What goes over the wire for the topic, and the server's answer to the unsubscribe.
  const sent: string[] = []
  let unsubscribed: () => void = () => {}
  const serverUnsubscribed = new Promise<void>((resolve) => {
    unsubscribed = resolve
  })
  inspect(client, {
    sent: (frame) => {
      if ('topic' in frame && frame.topic === 'todos') sent.push(frame.type)
    },
    received: (frame) => {
      if (frame.type === 'unsubscribed' && frame.topic === 'todos') unsubscribed()
    },
  })
  const target = document.createElement('div')
  document.body.append(target)

  const app = mount(Todos, { target, props: { client } })
  flushSync()
  expect(status(target)).toBe('connecting')
  expect(items(target)).toEqual([])

  await untilDom(target, () => status(target) === 'live', 'live')
  expect(await serverTopics(server.url)).toEqual([
    { topic: 'todos', epoch: expect.any(String), seq: 0, subscribers: 1 },
  ])

  await publish('todos', 'created', { id: 'a', title: 'A' })
  await untilDom(target, () => items(target).length === 1, 'event 1')
  expect(items(target)).toEqual(['A'])
  await publish('todos', 'created', { id: 'b', title: 'B' })
  await untilDom(target, () => items(target).length === 2, 'event 2')
  expect(items(target)).toEqual(['A', 'B'])
  await publish('todos', 'updated', { id: 'a', title: 'A2' })
  await untilDom(target, () => items(target)[0] === 'A2', 'event 3')
  expect(items(target)).toEqual(['A2', 'B'])
  await publish('todos', 'deleted', { id: 'b', title: 'B' })
  await untilDom(target, () => items(target).length === 1, 'event 4')
  expect(items(target)).toEqual(['A2'])

  expect(sent).toEqual(['subscribe'])
  await unmount(app)
  expect(target.innerHTML).toBe('')
  expect(sent).toEqual(['subscribe', 'unsubscribe'])
  // The server answers `unsubscribed` once it has dropped the subscription.
  await serverUnsubscribed
  expect(await serverTopics(server.url)).toEqual([])
})
