// The example as a user gets it: `next start` renders the messages on the server (the HTML has
// them before any script runs), the browser hydrates without a mismatch, and the list goes live
// from the position the server read — an event published between the server render and the
// subscribe is replayed, events after load appear, and each message is shown exactly once.
// The tests run in order on one pair of servers: the first one sees the topic still empty.
import { randomUUID } from 'node:crypto'
import { expect, type Page, test } from '@playwright/test'
import { freePort, type Started, startNext, startSluice } from './servers'

const adminKey = `admin-${randomUUID()}`
const publishKey = `publish-${randomUUID()}`
let sluice: Started & { url: string }
let next: Started
let appUrl: string

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  test.setTimeout(60_000)
  // Next's port is chosen first: the Sluice server must allow the page's origin.
  const port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  sluice = await startSluice({ origin: appUrl, adminKey, publishKey })
  next = await startNext({ port, sluiceUrl: sluice.url, adminKey })
})

test.afterAll(async () => {
  await next?.stop()
  await sluice?.stop()
})

/** A backend publish (`POST <base>/publish` with a publish key), as a Next server action would. */
async function publish(text: string): Promise<void> {
  const id = randomUUID()
  const response = await fetch(`${sluice.url}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${publishKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'messages', kind: 'created', key: id, data: { id, text }, id }),
  })
  expect(response.status, `publish "${text}": ${await response.clone().text()}`).toBe(200)
}

/** Page errors, console errors and warnings (a hydration mismatch is one), for an exact check. */
function problemsOf(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`${message.type()}: ${message.text()}`)
    }
  })
  return problems
}

test('an empty topic: no messages rendered, then live from the empty log, no resync', async ({ page }) => {
  const problems = problemsOf(page)
  await page.goto(appUrl)
  const items = page.getByRole('list', { name: 'messages' }).getByRole('listitem')
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'live')
  await expect(items).toHaveCount(0)

  await publish('first')
  await publish('second')
  await expect(items).toHaveText(['first', 'second'])
  // The position read from the empty log (head 0) is one the server resumes from: not stale.
  // (By its text: Next's route announcer is an alert too.)
  await expect(page.getByText('Some messages may be missing')).toHaveCount(0)
  expect(problems).toEqual([])
})

test('the server-rendered HTML holds the messages, and no secret', async () => {
  const response = await fetch(appUrl)
  expect(response.status).toBe(200)
  const html = await response.text()
  expect(html).toContain('<ul aria-label="messages"><li>first</li><li>second</li></ul>')
  expect(html).toContain('<p data-status="idle">idle</p>')
  expect(html).not.toContain(adminKey)
})

test('hydrates, replays what was published since the render, then stays live, each message once', async ({
  page,
}) => {
  const problems = problemsOf(page)

  // Hold every script until told: the page stays as the server rendered it.
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  await page.route('**/_next/static/**/*.js', async (route) => {
    await released
    await route.continue()
  })

  await page.goto(appUrl, { waitUntil: 'commit' })
  const items = page.getByRole('list', { name: 'messages' }).getByRole('listitem')
  await expect(items).toHaveText(['first', 'second'])
  await expect(page.getByText('idle', { exact: true })).toBeVisible()

  // After the server read the log, before the browser subscribed: only the position handed to
  // the client (initialPosition) brings this one.
  await publish('between render and subscribe')
  release()

  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'live')
  await expect(items).toHaveText(['first', 'second', 'between render and subscribe'])

  await publish('after load')
  await expect(items).toHaveText(['first', 'second', 'between render and subscribe', 'after load'])

  // From the page: shown at once (optimistic), then replaced by the server's copy, not added.
  await page.getByRole('textbox', { name: 'message' }).fill('from the page')
  await page.getByRole('button', { name: 'Send' }).click()
  await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled()
  await expect(items).toHaveText([
    'first',
    'second',
    'between render and subscribe',
    'after load',
    'from the page',
  ])

  // The server's log agrees: five messages, in this order.
  const history = await fetch(`${sluice.url}/admin/history?topic=messages`, {
    headers: { authorization: `Bearer ${adminKey}` },
  })
  const { events } = (await history.json()) as { events: { data: { text: string } }[] }
  expect(events.map((event) => event.data.text)).toEqual([
    'first',
    'second',
    'between render and subscribe',
    'after load',
    'from the page',
  ])
  await expect(items).toHaveCount(5)
  expect(problems).toEqual([])
})
