import { crud } from '@sluice/client'
import { closeAll, connect, startServer } from '@sluice/test-support'
import { afterEach, expect, test, vi } from 'vitest'
import { mountOverlay } from './overlay'

afterEach(closeAll)

interface Todo {
  id: string
  title: string
}

const shadow = () => document.querySelector('[data-sluice-devtools]')?.shadowRoot ?? null
const $ = (selector: string) => shadow()!.querySelector(selector) as HTMLElement
const $$ = (selector: string) => [...shadow()!.querySelectorAll(selector)] as HTMLElement[]
const press = (target: HTMLElement, key: string) =>
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, composed: true }))

test('a toggle opens the panel; the topics tab shows each event with its position as it arrives', async () => {
  const server = await startServer({ authorize: () => true })
  const client = connect(server)
  const unmount = mountOverlay(client)
  const toggle = $('button.toggle')
  expect(toggle.getAttribute('aria-expanded')).toBe('false')
  expect(($('[role="dialog"]') as HTMLElement).hidden).toBe(true)

  toggle.click()
  expect(toggle.getAttribute('aria-expanded')).toBe('true')
  expect(($('[role="dialog"]') as HTMLElement).hidden).toBe(false)
  expect($$('[role="tab"]').map((tab) => [tab.textContent, tab.getAttribute('aria-selected')])).toEqual([
    ['Topics', 'true'],
    ['Connection', 'false'],
    ['Commands', 'false'],
    ['Presence', 'false'],
  ])

  client.subscribe('todos', { merge: crud<Todo>({ key: 'id' }) })
  await vi.waitFor(() => expect($$('tr[data-type="subscribed"]')).toHaveLength(1))
  const { epoch, seq } = await client.publish('todos', {
    kind: 'created',
    key: 't1',
    data: { id: 't1', title: 'Ship' },
  })
  await vi.waitFor(() => expect($$('tr[data-type="event"]')).toHaveLength(1))
  const row = $('tr[data-type="event"]')
  expect(row.getAttribute('data-position')).toBe(`${epoch}:${seq}`)
  expect([...row.children].slice(1).map((cell) => cell.textContent)).toEqual([
    'event',
    `${epoch}:${seq}`,
    'created',
    't1',
    '{"id":"t1","title":"Ship"}',
  ])
  expect($('section[data-topic="todos"] h3').textContent).toBe(
    `todos · at ${epoch}:${seq} · 1 events · 0 resyncs`,
  )
  unmount()
  expect(shadow()).toBe(null)
})

test('the arrow keys move between tabs; the connection tab shows the timeline; Escape closes and focuses the toggle', async () => {
  const server = await startServer({ authorize: () => true })
  const client = connect(server)
  client.connect()
  const unmount = mountOverlay(client, { initialIsOpen: true })
  const [topics] = $$('[role="tab"]')
  topics!.focus()
  press(topics!, 'ArrowRight')
  expect($$('[role="tab"]').map((tab) => tab.getAttribute('aria-selected'))).toEqual([
    'false',
    'true',
    'false',
    'false',
  ])
  expect(shadow()!.activeElement).toBe($('#tab-connection'))
  await vi.waitFor(() => expect($$('tr[data-status="open"]')).toHaveLength(1))
  expect($$('tbody tr').map((tr) => [tr.children[1]!.textContent, tr.children[2]!.textContent])).toEqual([
    ['open', 'ws'],
    ['connecting', 'ws'],
    ['connecting', ''],
  ])
  press($('#tab-connection'), 'End')
  expect($('[role="tabpanel"]').getAttribute('aria-labelledby')).toBe('tab-presence')
  press($('#tab-presence'), 'ArrowRight')
  expect($('[role="tabpanel"]').getAttribute('aria-labelledby')).toBe('tab-topics')

  press($('#tab-topics'), 'Escape')
  expect(($('[role="dialog"]') as HTMLElement).hidden).toBe(true)
  expect(shadow()!.activeElement).toBe($('button.toggle'))
  unmount()
})

test('the commands tab lists a publish waiting for a connection, then settled with its ack', async () => {
  const server = await startServer({ authorize: () => true })
  const client = connect(server)
  const unmount = mountOverlay(client, { initialIsOpen: true })
  press($('#tab-topics'), 'ArrowRight')
  press($('#tab-connection'), 'ArrowRight')
  const published = client.publish('todos', { kind: 'created', key: 't1' }, { id: 'p1' })
  // Rendered at once on the tab switch below; the publish is queued until the connection opens.
  press($('#tab-commands'), 'ArrowLeft')
  press($('#tab-connection'), 'ArrowRight')
  expect($$('tr[data-command="queued"]').map((tr) => tr.children[0]!.textContent)).toEqual(['p1'])
  await published
  await vi.waitFor(() =>
    expect($$('tr[data-outcome="ack"]').map((tr) => tr.children[0]!.textContent)).toEqual(['p1']),
  )
  expect($('h3').textContent).toBe('Pending (0)')
  unmount()
})
