import { expect, type Page, test } from '@playwright/test'

async function openBoard(page: Page, query = ''): Promise<void> {
  await page.goto(`/${query}`)
  await expect(page.getByTestId('connection')).toHaveAttribute('data-status', 'open')
  await expect(page.getByTestId('todos-status')).toHaveText('live')
}

async function addTodo(page: Page, title: string): Promise<void> {
  await page.getByLabel('New todo').fill(title)
  await page.getByRole('button', { name: 'Add' }).click()
}

test('a todo added on one board appears once on another, over WebSocket', async ({ page, browser }) => {
  await openBoard(page, '?transport=ws')
  await expect(page.getByTestId('connection')).toHaveAttribute('data-transport', 'ws')
  const other = await browser.newPage()
  await openBoard(other, '?transport=ws')

  const title = `ws todo ${Date.now()}`
  await addTodo(page, title)
  await expect(other.getByTestId('todo').filter({ hasText: title })).toHaveCount(1)
  await expect(page.getByTestId('todo').filter({ hasText: title })).toHaveCount(1)
  await other.close()
})

test('SSE with the command channel has parity: add, toggle and delete from an SSE board', async ({
  page,
  browser,
}) => {
  await openBoard(page, '?transport=sse')
  await expect(page.getByTestId('connection')).toHaveAttribute('data-transport', 'sse')
  const watcher = await browser.newPage()
  await openBoard(watcher, '?transport=ws')

  const title = `sse todo ${Date.now()}`
  await addTodo(page, title)
  const seen = watcher.getByTestId('todo').filter({ hasText: title })
  await expect(seen).toHaveCount(1)
  // click(), not check(): the checkbox shows the store, which changes when the server's event
  // comes back over the stream, not at the click itself.
  await page.getByLabel(`Done: ${title}`).click()
  await expect(page.getByLabel(`Done: ${title}`)).toBeChecked()
  await expect(seen).toHaveAttribute('data-done', 'true')
  await page.getByLabel(`Delete ${title}`).click()
  await expect(seen).toHaveCount(0)
  await watcher.close()
})

test('falls back to SSE when WebSocket is blocked', async ({ page }) => {
  // A proxy that kills WebSocket upgrades: every socket to the realtime endpoint closes at once.
  await page.routeWebSocket(/\/realtime\/ws/, (ws) => ws.close())
  await page.goto('/')
  await expect(page.getByTestId('connection')).toHaveAttribute('data-transport', 'sse')
  await expect(page.getByTestId('connection')).toHaveAttribute('data-status', 'open')
  await expect(page.getByTestId('todos-status')).toHaveText('live')
})

for (const transport of ['ws', 'sse'] as const) {
  test(`every event exactly once and in order while connections drop, over ${transport}`, async ({
    page,
    request,
  }) => {
    await openBoard(page, `?transport=${transport}`)
    const counter = page.getByTestId('counter')
    const before = Number(await counter.getAttribute('data-last'))

    const response = await request.post(`/__e2e/counter?count=300&dropEvery=60`)
    expect(response.ok()).toBe(true)
    const { published, dropped } = await response.json()
    expect(published).toBe(300)
    expect(dropped).toBeGreaterThanOrEqual(5)

    await expect(counter).toHaveAttribute('data-last', String(before + 300), { timeout: 20_000 })
    await expect(counter).toHaveAttribute('data-duplicates', '0')
    await expect(counter).toHaveAttribute('data-out-of-order', '0')
    await expect(counter).toHaveAttribute('data-received', String(before + 300))
  })
}
