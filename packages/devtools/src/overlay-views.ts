import type { CommandRecord, RecorderSnapshot } from './recorder'

type Child = Node | string | null | undefined | false

/** Builds an element; text goes in as text nodes, so frame data never becomes markup. */
export function h(tag: string, attributes: Record<string, string | undefined> = {}, ...children: Child[]) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value)
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(child)
  }
  return element
}

const time = (at: number | null | undefined) => (at ? new Date(at).toISOString().slice(11, 23) : '')
const position = (epoch?: string, seq?: number) => (epoch === undefined ? '' : `${epoch}:${seq}`)

const table = (headings: string[], rows: HTMLElement[], empty: string) =>
  rows.length
    ? h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...headings.map((name) => h('th', {}, name)))),
        h('tbody', {}, ...rows),
      )
    : h('p', { class: 'empty' }, empty)

// A cell cut to one line by the styles: the title shows all of it on hover.
const cell = (text: string, className?: string) =>
  h('td', { class: className, title: text || undefined }, text)

/** Per topic: its position, counts, and its log, newest first. */
export function topicsView({ topics }: RecorderSnapshot): Node[] {
  if (!topics.length) return [h('p', { class: 'empty' }, 'No topic frames yet. Subscribe to a topic.')]
  return topics.map((topic) =>
    h(
      'section',
      { 'data-topic': topic.topic },
      h(
        'h3',
        {},
        `${topic.topic} · at ${topic.position ? position(topic.position.epoch, topic.position.seq) : '—'} · ${topic.events} events · ${topic.resyncs} resyncs`,
      ),
      table(
        ['time', 'frame', 'position', 'kind', 'key', 'detail'],
        [...topic.log]
          .reverse()
          .map((entry) =>
            h(
              'tr',
              { 'data-type': entry.type, 'data-position': position(entry.epoch, entry.seq) },
              h('td', {}, time(entry.at)),
              h('td', {}, entry.type),
              h('td', {}, position(entry.epoch, entry.seq)),
              h('td', {}, entry.kind ?? ''),
              cell(entry.key ?? ''),
              cell(entry.reason ? `reason: ${entry.reason}` : (entry.preview ?? ''), 'wide'),
            ),
          ),
        'No frames kept.',
      ),
    ),
  )
}

/** The connection's states, newest first. */
export function connectionView({ connection }: RecorderSnapshot): Node[] {
  return [
    table(
      ['time', 'status', 'transport', 'attempt', 'next retry', 'error'],
      [...connection]
        .reverse()
        .map((state) =>
          h(
            'tr',
            { 'data-status': state.status },
            h('td', {}, time(state.at)),
            h('td', {}, state.status),
            h('td', {}, state.transport ?? ''),
            h('td', {}, String(state.attempt)),
            h('td', {}, time(state.nextRetryAt)),
            cell(
              state.error ? `${state.error.code}: ${state.error.message}` : '',
              state.error ? 'wide error' : 'wide',
            ),
          ),
        ),
      'No connection state yet.',
    ),
  ]
}

const commandRow = (command: CommandRecord, now: number) =>
  h(
    'tr',
    { 'data-command': command.type, 'data-outcome': command.outcome },
    h('td', {}, command.id),
    h('td', {}, command.type),
    h('td', {}, command.subject ?? ''),
    h('td', {}, command.sentAt ? time(command.sentAt) : 'not sent yet'),
    h('td', {}, String(command.sends)),
    h(
      'td',
      {},
      command.outcome
        ? `${command.outcome}${command.sentAt && command.settledAt ? ` in ${command.settledAt - command.sentAt} ms` : ''}`
        : command.sentAt
          ? `waiting ${now - command.sentAt} ms`
          : 'waiting for a connection',
    ),
  )

/** The commands awaiting answers, then the last settled ones. */
export function commandsView({ pending, settled }: RecorderSnapshot): Node[] {
  const now = Date.now()
  const headings = ['id', 'command', 'topic / name', 'sent', 'sends', 'state']
  return [
    h('h3', {}, `Pending (${pending.length})`),
    table(
      headings,
      pending.map((command) => commandRow(command, now)),
      'Nothing awaits an answer.',
    ),
    h('h3', {}, 'Settled'),
    table(
      headings,
      [...settled].reverse().map((command) => commandRow(command, now)),
      'No command settled yet.',
    ),
  ]
}

/** The members of each topic with presence. */
export function presenceView({ topics }: RecorderSnapshot): Node[] {
  const withPresence = topics.filter(
    (topic) => topic.log.some((entry) => entry.type === 'presence') || topic.presence.length,
  )
  if (!withPresence.length)
    return [h('p', { class: 'empty' }, 'No presence yet. Subscribe with presence: true.')]
  return withPresence.map((topic) =>
    h(
      'section',
      { 'data-topic': topic.topic },
      h('h3', {}, `${topic.topic} · ${topic.presence.length} members`),
      table(
        ['connection', 'identity', 'state'],
        topic.presence.map((member) =>
          h(
            'tr',
            {},
            h('td', {}, member.connectionId),
            h('td', {}, member.identity ?? 'anonymous'),
            cell(member.state ? JSON.stringify(member.state) : '', 'wide'),
          ),
        ),
        'Nobody is here.',
      ),
    ),
  )
}
