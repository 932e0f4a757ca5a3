import { crud } from '@sluice/client'
import { createFakeClient } from '@sluice/client/testing'
import { afterEach, expect, test, vi } from 'vitest'
import { createApp } from 'vue'
import { closeAll, connect, startServer } from '../test/real-server'
import {
  inspectorState,
  inspectorTree,
  type SetupDevtools,
  SLUICE_INSPECTOR_ID,
  SLUICE_TIMELINE_LAYER_ID,
  type SluiceDevtoolsApi,
  setupSluiceDevtools,
} from './devtools'

afterEach(closeAll)

interface Todo {
  id: string
  title: string
}

type TreeHandler = Parameters<SluiceDevtoolsApi['on']['getInspectorTree']>[0]
type StateHandler = Parameters<SluiceDevtoolsApi['on']['getInspectorState']>[0]
type TimelineEvent = Parameters<SluiceDevtoolsApi['addTimelineEvent']>[0]

/**
 * A stand-in for `setupDevtoolsPlugin` of `@vue/devtools-api`: it runs the setup function at
 * once, as the devtools do once connected, with an API that records what it is given and lets
 * the test ask for the inspector's tree and state the way the devtools UI does.
 */
function fakeDevtools() {
  const descriptors: Parameters<SetupDevtools>[0][] = []
  const inspectors: unknown[] = []
  const layers: unknown[] = []
  const events: TimelineEvent[] = []
  const sent: string[] = []
  let onTree: TreeHandler = () => {}
  let onState: StateHandler = () => {}
  const api: SluiceDevtoolsApi = {
    addInspector: (options) => void inspectors.push(options),
    addTimelineLayer: (options) => void layers.push(options),
    addTimelineEvent: (options) => void events.push(options),
    sendInspectorTree: (id) => void sent.push(`tree ${id}`),
    sendInspectorState: (id) => void sent.push(`state ${id}`),
    now: () => Date.now(),
    on: {
      getInspectorTree: (handler) => {
        onTree = handler
      },
      getInspectorState: (handler) => {
        onState = handler
      },
    },
  }
  const setup: SetupDevtools = (descriptor, run) => {
    descriptors.push(descriptor)
    run(api)
  }
  const app = createApp({ render: () => null })
  const tree = (filter = '') => {
    const payload = { app, inspectorId: SLUICE_INSPECTOR_ID, filter, rootNodes: [] as unknown[] }
    onTree(payload as never)
    return payload.rootNodes
  }
  const state = (nodeId: string) => {
    const payload = { app, inspectorId: SLUICE_INSPECTOR_ID, nodeId, state: {} as Record<string, unknown> }
    onState(payload as never)
    return payload.state
  }
  return { app, setup, descriptors, inspectors, layers, events, sent, tree, state }
}

test('registers an inspector whose tree and state follow the client, and a timeline of its frames', async () => {
  const server = await startServer()
  const client = connect(server)
  const devtools = fakeDevtools()
  const stop = setupSluiceDevtools(devtools.app, client, devtools.setup)
  expect(devtools.descriptors).toEqual([
    {
      id: 'dev.sluice',
      label: 'Sluice',
      packageName: '@sluice/vue',
      homepage: 'https://github.com/sluice-dev/sluice',
      app: devtools.app,
    },
  ])
  expect(devtools.inspectors).toEqual([
    { id: 'sluice', label: 'Sluice', icon: 'sync_alt', treeFilterPlaceholder: 'Filter topics' },
  ])
  expect(devtools.layers).toEqual([{ id: SLUICE_TIMELINE_LAYER_ID, label: 'Sluice', color: 0x3fb950 }])

  client.subscribe('todos', { merge: crud<Todo>({ key: 'id' }) })
  await vi.waitFor(() =>
    expect(devtools.tree().map((node) => (node as { id: string }).id)).toContain('topic:todos'),
  )
  const at = await server.server.publish('todos', {
    kind: 'created',
    key: 't1',
    data: { id: 't1', title: 'Ship' },
  })
  const position = `${at!.epoch}:${at!.seq}`
  await vi.waitFor(() =>
    expect(devtools.state('topic:todos').position).toContainEqual({ key: 'seq', value: at!.seq }),
  )

  expect(devtools.tree()).toEqual([
    {
      id: 'connection',
      label: 'Connection',
      tags: [{ label: 'open · ws', textColor: 0xffffff, backgroundColor: 0x3fb950 }],
    },
    {
      id: 'commands',
      label: 'Commands',
      tags: [{ label: '0 pending', textColor: 0xffffff, backgroundColor: 0x8b949e }],
    },
    {
      id: 'topic:todos',
      label: 'todos',
      tags: [{ label: position, textColor: 0xffffff, backgroundColor: 0x8b949e }],
    },
  ])
  expect(devtools.tree('nothing-matches').map((node) => (node as { id: string }).id)).toEqual([
    'connection',
    'commands',
  ])
  const topic = devtools.state('topic:todos') as Record<string, { key: string; value: unknown }[]>
  expect(topic.position).toEqual([
    { key: 'epoch', value: at!.epoch },
    { key: 'seq', value: at!.seq },
    { key: 'events', value: 1 },
    { key: 'resyncs', value: 0 },
  ])
  expect(topic.log!.map((row) => row.key)).toEqual([`event ${position}`, `subscribed ${at!.epoch}:0`])
  expect(
    (devtools.state('connection') as Record<string, { key: string; value: unknown }[]>).state,
  ).toContainEqual({
    key: 'status',
    value: 'open',
  })

  const titles = devtools.events.map(({ layerId, event }) => `${layerId} ${event.title} | ${event.subtitle}`)
  expect(titles).toEqual([
    'sluice:frames connection idle | ',
    'sluice:frames connection connecting | ',
    'sluice:frames connection connecting | ws',
    'sluice:frames connection open | ws',
    'sluice:frames → subscribe todos | ',
    `sluice:frames ← subscribed todos | ${at!.epoch}:0`,
    `sluice:frames ← event todos | ${position} created`,
  ])
  // The inspector is told to refresh once the burst is over.
  await vi.waitFor(() => expect(devtools.sent).toContain('tree sluice'))
  expect(devtools.sent).toContain('state sluice')

  stop()
  await server.server.publish('todos', { kind: 'created', key: 't2', data: { id: 't2', title: 'Later' } })
  client.close()
  expect(devtools.events).toHaveLength(7)
})

test('skips a client that is not a createClient() result (a test double)', () => {
  const devtools = fakeDevtools()
  setupSluiceDevtools(devtools.app, createFakeClient().client, devtools.setup)
  expect(devtools.descriptors).toEqual([])
})

test('the tree and state of an empty recording', () => {
  const empty = { topics: [], connection: [], pending: [], settled: [] }
  expect(inspectorTree(empty)).toEqual([
    {
      id: 'connection',
      label: 'Connection',
      tags: [{ label: 'idle', textColor: 0xffffff, backgroundColor: 0x8b949e }],
    },
    {
      id: 'commands',
      label: 'Commands',
      tags: [{ label: '0 pending', textColor: 0xffffff, backgroundColor: 0x8b949e }],
    },
  ])
  expect(inspectorState(empty, 'topic:nope')).toEqual({})
  expect(inspectorState(empty, 'commands')).toEqual({ pending: [], settled: [] })
})
