import { randomUUID } from 'node:crypto'
import { expect, type Page, test } from '@playwright/test'

const sluice = `http://127.0.0.1:${process.env.SLUICE_EXAMPLE_PORT}`
const initial = ['Read the Nuxt guide', 'Open this page in a second tab']

/** Publishes a todo the way a backend does (POST <base>/publish with a publish key). */
async function publishFromServer(title: string): Promise<void> {
  const id = randomUUID()
  const response = await fetch(`${sluice}/realtime/publish`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${process.env.SLUICE_EXAMPLE_PUBLISH_KEY}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ topic: 'todos', kind: 'created', key: id, data: { id, title } }),
  })
  expect(response.status, `publish '${title}': ${await response.clone().text()}`).toBe(200)
}

/** How many connections the Sluice server has accepted since it started (its /metrics counter). */
async function connectionsAccepted(): Promise<number> {
  const response = await fetch(`${sluice}/metrics`)
  expect(response.status).toBe(200)
  let total = 0
  for (const line of (await response.text()).split('\n')) {
    if (/^sluice_connections_total[{ ]/.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

/** The console errors and warnings of `page` (a hydration mismatch is reported there). */
function consoleProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(error.message))
  return problems
}

// In file order against one server: the first test publishes nothing, so each sees the list so far.
test('the page is server-rendered with the seed and carries it in the payload', async ({ request }) => {
  const response = await request.get('/')
  expect(response.status()).toBe(200)
  const html = await response.text()
  expect(html).toContain(
    `<ul data-testid="todos"><!--[--><li>${initial[0]}</li><li>${initial[1]}</li><!--]--></ul>`,
  )
  expect(html).toContain('<output data-testid="status">idle</output>')
  expect(html).toContain('"sluice:todos"')
  // The Nuxt server rendered the page with the module's client, which must never connect.
  expect(await connectionsAccepted()).toBe(0)
})

test('hydrates without a mismatch, replays what was published before it went live, then shows each later publish once', async ({
  page,
}) => {
  const problems = consoleProblems(page)
  // Hold the app's scripts until an event has been published after the server read the seed:
  // the browser must then get it by resuming after the seed's position.
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  await page.route('**/_nuxt/**', async (route) => {
    await released
    await route.continue()
  })
  await page.goto('/', { waitUntil: 'commit' })
  const items = page.getByTestId('todos').locator('li')
  await expect(items).toHaveText(initial)
  await publishFromServer('Published before hydration')
  release()

  await expect(page.getByTestId('status')).toHaveText('live')
  await expect(items).toHaveText([...initial, 'Published before hydration'])

  await publishFromServer('Published from a backend')
  await expect(items).toHaveText([...initial, 'Published before hydration', 'Published from a backend'])

  await page.getByLabel('New todo').fill('Added in this tab')
  await page.getByRole('button', { name: 'Add' }).click()
  await expect(items).toHaveText([
    ...initial,
    'Published before hydration',
    'Published from a backend',
    'Added in this tab',
  ])
  await expect(page.getByLabel('New todo')).toHaveValue('')
  expect(problems).toEqual([])
  // The browser's one connection: rendering the page on the server opened none, even briefly.
  expect(await connectionsAccepted()).toBe(1)
})
