// The fixture of scripts/check-topic-typo.mjs: every call below misspells a topic or a procedure
// on its own line, and the line after each `// typo:` comment must carry the error, naming the
// misspelled name, under TypeScript 6 and 7. Not a test file: it is meant not to compile.
import { type CrudTopic, createClient } from '@sluice/client'
import { useCall, useHistory, usePublish, useRealtime, useSuspenseRealtime } from '@sluice/react'
import {
  useCall as useVueCall,
  useHistory as useVueHistory,
  usePublish as useVuePublish,
  useRealtime as useVueRealtime,
} from '@sluice/vue'

interface Todo {
  id: string
  title: string
}

const client = createClient<
  { todos: CrudTopic<Todo> },
  { 'todos.stats': (args: { owner: string }) => number }
>({ url: 'http://localhost/realtime' })

client.subscribe(
  // typo: 'todo'
  'todo',
  { merge: { initial: () => null, apply: (state) => state } },
)
void client.publish(
  // typo: 'todo'
  'todo',
  { kind: 'created', data: { id: 't1', title: 'Ship' } },
)
client.setPresence(
  // typo: 'todo'
  'todo',
  { typing: true },
)
void client.call(
  // typo: 'todos.stat'
  'todos.stat',
  { owner: 'ann' },
)

const merge = { initial: () => null, apply: (state: null) => state }

export function ReactHooks() {
  useSuspenseRealtime(
    client,
    // typo: 'todo'
    'todo',
    { merge },
  )
  useHistory(
    client,
    // typo: 'todo'
    'todo',
    { merge },
  )
  useRealtime(
    client,
    // typo: 'todo'
    'todo',
    { merge: { initial: () => null, apply: (state: null) => state } },
  )
  usePublish(
    client,
    // typo: 'todo'
    'todo',
  )
  useCall(
    client,
    // typo: 'todos.stat'
    'todos.stat',
  )
  return null
}

export function vueComposables() {
  useVueHistory(
    client,
    // typo: 'todo'
    'todo',
    { merge },
  )
  useVueRealtime(
    client,
    // typo: 'todo'
    'todo',
    { merge: { initial: () => null, apply: (state: null) => state } },
  )
  useVuePublish(
    client,
    // typo: 'todo'
    'todo',
  )
  useVueCall(
    client,
    // typo: 'todos.stat'
    'todos.stat',
  )
}
