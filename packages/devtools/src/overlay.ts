import type { SluiceClient } from '@sluice/client'
import { OVERLAY_STYLES } from './overlay-styles'
import { commandsView, connectionView, h, presenceView, topicsView } from './overlay-views'
import { type RecorderSnapshot, recordClient } from './recorder'

/** Options of {@link mountDevtools}. */
export interface DevtoolsOptions {
  /** Open the panel at once instead of showing only the toggle button. @default false */
  initialIsOpen?: boolean
  /** The corner the toggle button and panel sit in. @default 'bottom-right' */
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left'
  /** Where the overlay's host element is appended. @default document.body */
  container?: HTMLElement
  /** Rows kept per topic log, connection timeline and settled commands. @default 200 */
  limit?: number
}

const TABS = [
  { id: 'topics', label: 'Topics', view: topicsView },
  { id: 'connection', label: 'Connection', view: connectionView },
  { id: 'commands', label: 'Commands', view: commandsView },
  { id: 'presence', label: 'Presence', view: presenceView },
] as const

/** The overlay itself; {@link mountDevtools} is this in development and a no-op in production. */
export function mountOverlay(
  client: Pick<SluiceClient, '$connection'>,
  options: DevtoolsOptions = {},
): () => void {
  const { initialIsOpen = false, position = 'bottom-right', container = document.body, limit } = options
  const recorder = recordClient(client, { limit })
  const host = h('div', { 'data-sluice-devtools': '' })
  const shadow = host.attachShadow({ mode: 'open' })
  let open = initialIsOpen
  let selected = 0
  let frame: ReturnType<typeof setTimeout> | null = null

  const dot = h('span', { class: 'dot', 'aria-hidden': 'true' })
  const toggle = h(
    'button',
    { class: 'toggle', type: 'button', 'aria-controls': 'sluice-panel' },
    dot,
    'Sluice',
  )
  const tabs = TABS.map(({ id, label }) =>
    h('button', { role: 'tab', type: 'button', id: `tab-${id}`, 'aria-controls': 'sluice-tabpanel' }, label),
  )
  const tabpanel = h('div', { role: 'tabpanel', id: 'sluice-tabpanel', tabindex: '0' })
  const clear = h('button', { type: 'button' }, 'Clear')
  const close = h('button', { type: 'button', 'aria-label': 'Close Sluice devtools' }, '×')
  const panel = h(
    'section',
    { class: 'panel', id: 'sluice-panel', role: 'dialog', 'aria-label': 'Sluice devtools' },
    h('header', {}, h('h2', {}, 'Sluice devtools'), clear, close),
    h('div', { role: 'tablist', 'aria-label': 'Sluice devtools sections' }, ...tabs),
    tabpanel,
  )
  const root = h('div', { class: 'root', 'data-position': position }, panel, toggle)
  shadow.append(h('style', {}, OVERLAY_STYLES), root)

  const render = () => {
    frame = null
    const snapshot: RecorderSnapshot = recorder.snapshot()
    const status = snapshot.connection.at(-1)?.status ?? 'idle'
    dot.setAttribute('data-status', status)
    toggle.setAttribute('aria-label', `Sluice devtools (connection ${status})`)
    toggle.setAttribute('aria-expanded', String(open))
    panel.hidden = !open
    if (!open) return
    tabs.forEach((tab, index) => {
      tab.setAttribute('aria-selected', String(index === selected))
      // Roving tabindex: Tab reaches the selected tab, the arrow keys move between tabs.
      tab.tabIndex = index === selected ? 0 : -1
    })
    tabpanel.setAttribute('aria-labelledby', tabs[selected]!.id)
    tabpanel.replaceChildren(...TABS[selected]!.view(snapshot))
  }
  // Frames arrive in bursts: one render per animation frame, however many changes.
  const schedule = () => {
    if (frame === null) frame = setTimeout(render, 16)
  }

  const select = (index: number) => {
    selected = (index + TABS.length) % TABS.length
    render()
    tabs[selected]!.focus()
  }
  const setOpen = (next: boolean) => {
    open = next
    render()
    if (!open) toggle.focus()
  }

  toggle.addEventListener('click', () => setOpen(!open))
  close.addEventListener('click', () => setOpen(false))
  clear.addEventListener('click', () => recorder.clear())
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => select(index))
  })
  panel.addEventListener('keydown', (event) => {
    const key = (event as KeyboardEvent).key
    const onTab = tabs.includes(event.target as HTMLElement)
    if (key === 'Escape') setOpen(false)
    else if (onTab && key === 'ArrowRight') select(selected + 1)
    else if (onTab && key === 'ArrowLeft') select(selected - 1)
    else if (onTab && key === 'Home') select(0)
    else if (onTab && key === 'End') select(TABS.length - 1)
    else return
    event.preventDefault()
  })

  const unsubscribe = recorder.subscribe(schedule)
  container.append(host)
  render()

  return () => {
    unsubscribe()
    recorder.stop()
    if (frame !== null) clearTimeout(frame)
    host.remove()
  }
}
