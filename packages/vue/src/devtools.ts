import { inspect, type SluiceClient } from '@sluice/client'
import { type RecorderSnapshot, recordClient } from '@sluice/devtools/recorder'
import type { ClientFrame, ServerFrame } from '@sluice/protocol'
import type { setupDevtoolsPlugin } from '@vue/devtools-api'
import type { App } from 'vue'

type PluginApi = Parameters<Parameters<typeof setupDevtoolsPlugin>[1]>[0]
type PluginDescriptor = Parameters<typeof setupDevtoolsPlugin>[0]
type InspectorNode = {
  id: string
  label: string
  tags?: { label: string; textColor: number; backgroundColor: number }[]
}
type InspectorState = Record<string, { key: string; value: unknown }[]>

/** The part of the Vue devtools plugin API (`@vue/devtools-api`) the Sluice inspector uses. */
export type SluiceDevtoolsApi = Pick<
  PluginApi,
  | 'addInspector'
  | 'sendInspectorTree'
  | 'sendInspectorState'
  | 'addTimelineLayer'
  | 'addTimelineEvent'
  | 'now'
> & { on: Pick<PluginApi['on'], 'getInspectorTree' | 'getInspectorState'> }

/** `setupDevtoolsPlugin` of `@vue/devtools-api`, or a stand-in with its signature. */
export type SetupDevtools = (descriptor: PluginDescriptor, setup: (api: SluiceDevtoolsApi) => void) => void

export const SLUICE_INSPECTOR_ID = 'sluice'
export const SLUICE_TIMELINE_LAYER_ID = 'sluice:frames'

const LOG_ROWS = 50
const GREEN = 0x3fb950
const RED = 0xf85149
const GREY = 0x8b949e
const WHITE = 0xffffff

const position = (epoch: string | undefined, seq: number | undefined) =>
  epoch === undefined ? '' : `${epoch}:${seq}`

/** The inspector's tree: the connection, the commands, then one node per topic with its position as a tag. */
export function inspectorTree(snapshot: RecorderSnapshot, filter = ''): InspectorNode[] {
  const status = snapshot.connection.at(-1)
  const tag = (label: string, backgroundColor: number) => ({ label, textColor: WHITE, backgroundColor })
  const nodes: InspectorNode[] = [
    {
      id: 'connection',
      label: 'Connection',
      tags: [
        tag(
          `${status?.status ?? 'idle'}${status?.transport ? ` · ${status.transport}` : ''}`,
          status?.status === 'open' ? GREEN : GREY,
        ),
      ],
    },
    { id: 'commands', label: 'Commands', tags: [tag(`${snapshot.pending.length} pending`, GREY)] },
  ]
  for (const topic of snapshot.topics) {
    if (filter && !topic.topic.includes(filter)) continue
    const tags = [tag(topic.position ? position(topic.position.epoch, topic.position.seq) : '—', GREY)]
    if (topic.resyncs) tags.push(tag(`${topic.resyncs} resyncs`, RED))
    nodes.push({ id: `topic:${topic.topic}`, label: topic.topic, tags })
  }
  return nodes
}

/** The state shown for the tree node `nodeId`. */
export function inspectorState(snapshot: RecorderSnapshot, nodeId: string): InspectorState {
  if (nodeId === 'connection') {
    const { at: _, ...current } = snapshot.connection.at(-1) ?? { at: 0, status: 'idle' }
    return {
      state: Object.entries(current).map(([key, value]) => ({ key, value })),
      timeline: [...snapshot.connection].reverse().map((state) => ({
        key: new Date(state.at).toISOString().slice(11, 23),
        value: `${state.status}${state.transport ? ` ${state.transport}` : ''}, attempt ${state.attempt}${state.error ? `, ${state.error.code}: ${state.error.message}` : ''}`,
      })),
    }
  }
  if (nodeId === 'commands') {
    const row = ({ id, ...command }: RecorderSnapshot['pending'][number]) => ({ key: id, value: command })
    return { pending: snapshot.pending.map(row), settled: [...snapshot.settled].reverse().map(row) }
  }
  const topic = snapshot.topics.find((record) => `topic:${record.topic}` === nodeId)
  if (!topic) return {}
  return {
    position: [
      { key: 'epoch', value: topic.position?.epoch ?? null },
      { key: 'seq', value: topic.position?.seq ?? null },
      { key: 'events', value: topic.events },
      { key: 'resyncs', value: topic.resyncs },
    ],
    log: topic.log
      .slice(-LOG_ROWS)
      .reverse()
      .map(({ type, epoch, seq, ...rest }) => ({
        key: `${type} ${position(epoch, seq)}`.trim(),
        value: rest,
      })),
    presence: topic.presence.map(({ connectionId, ...member }) => ({ key: connectionId, value: member })),
  }
}

// A timeline event per frame: topic frames say their topic and position, commands their subject.
const frameEvent = (direction: 'in' | 'out', frame: ServerFrame | ClientFrame, time: number) => {
  const fields = frame as {
    topic?: string
    name?: string
    epoch?: string
    seq?: number
    kind?: string
    code?: string
    reason?: string
  }
  const subject = fields.topic ?? fields.name ?? ''
  return {
    time,
    title: `${direction === 'in' ? '←' : '→'} ${frame.type}${subject ? ` ${subject}` : ''}`,
    subtitle: [position(fields.epoch, fields.seq), fields.kind, fields.reason, fields.code]
      .filter(Boolean)
      .join(' '),
    data: frame,
    logType:
      frame.type === 'error'
        ? ('error' as const)
        : frame.type === 'resync'
          ? ('warning' as const)
          : ('default' as const),
  }
}

/**
 * Adds a Sluice inspector (connection, commands, each topic's position, log and presence) and a
 * timeline layer (every frame received and sent, every connection state) to Vue devtools.
 * {@link sluicePlugin} calls it in development; call it yourself for an app that provides its
 * client another way. A client that is not a `createClient()` result (a test double) is skipped.
 *
 * @example
 * import { createClient } from '@sluice/client'
 * import { setupSluiceDevtools } from '@sluice/vue'
 * import { createApp, h } from 'vue'
 *
 * const client = createClient({ url: 'https://example.com/realtime' })
 * const app = createApp({ render: () => h('p', 'live') })
 * if (process.env.NODE_ENV !== 'production') setupSluiceDevtools(app, client)
 * @param app the app the devtools inspect
 * @param client the client to show
 * @param setup `setupDevtoolsPlugin` of `@vue/devtools-api` (a stand-in in tests)
 * @returns a function that stops recording (also called when the app unmounts)
 */
export function setupSluiceDevtools(
  app: App,
  client: Pick<SluiceClient, '$connection'>,
  setup: SetupDevtools,
): () => void {
  if (!(Symbol.for('sluice.inspect') in client)) return () => {}
  const recorder = recordClient(client)
  let timeline: { detach(): void } | null = null
  let refresh: ReturnType<typeof setTimeout> | null = null
  const stop = () => {
    recorder.stop()
    timeline?.detach()
    if (refresh !== null) clearTimeout(refresh)
  }
  setup(
    {
      id: 'dev.sluice',
      label: 'Sluice',
      packageName: '@sluice/vue',
      homepage: 'https://github.com/sluice-dev/sluice',
      app,
    },
    (api) => {
      api.addInspector({
        id: SLUICE_INSPECTOR_ID,
        label: 'Sluice',
        icon: 'sync_alt',
        treeFilterPlaceholder: 'Filter topics',
      })
      api.addTimelineLayer({ id: SLUICE_TIMELINE_LAYER_ID, label: 'Sluice', color: GREEN })
      api.on.getInspectorTree((payload) => {
        if (payload.inspectorId === SLUICE_INSPECTOR_ID)
          payload.rootNodes = inspectorTree(recorder.snapshot(), payload.filter)
      })
      api.on.getInspectorState((payload) => {
        if (payload.inspectorId === SLUICE_INSPECTOR_ID)
          payload.state = inspectorState(recorder.snapshot(), payload.nodeId) as never
      })
      // Frames come in bursts: the inspector is refreshed at most every 100 ms.
      recorder.subscribe(() => {
        if (refresh !== null) return
        refresh = setTimeout(() => {
          refresh = null
          api.sendInspectorTree(SLUICE_INSPECTOR_ID)
          api.sendInspectorState(SLUICE_INSPECTOR_ID)
        }, 100)
      })
      const add = (event: Parameters<SluiceDevtoolsApi['addTimelineEvent']>[0]['event']) =>
        api.addTimelineEvent({ layerId: SLUICE_TIMELINE_LAYER_ID, event })
      timeline = inspect(client, {
        received: (frame) => add(frameEvent('in', frame, api.now())),
        sent: (frame) => add(frameEvent('out', frame, api.now())),
        connection: (state) =>
          add({
            time: api.now(),
            title: `connection ${state.status}`,
            subtitle: [state.transport, state.error?.code].filter(Boolean).join(' '),
            data: {
              ...state,
              error: state.error && { code: state.error.code, message: state.error.message },
            },
            logType: state.error ? 'error' : 'default',
          }),
      })
    },
  )
  app.onUnmount(stop)
  return stop
}
