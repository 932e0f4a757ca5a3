import { expect, test } from '@playwright/test'

// The demo's development build (/dev.html) mounts the Sluice devtools overlay; its production
// build (/) calls the same mountDevtools, which must leave neither code nor DOM behind.
// Playwright's locators pierce the overlay's open shadow root.

const MARKERS = ['data-sluice-devtools', 'Sluice devtools']

test('the overlay opens and shows each event with its position as it arrives', async ({ page }) => {
  await page.goto('/dev.html?transport=ws')
  await expect(page.getByTestId('todos-status')).toHaveText('live')
  const toggle = page.getByRole('button', { name: 'Sluice devtools (connection open)' })
  await expect(toggle).toHaveAttribute('aria-expanded', 'false')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-expanded', 'true')
  const panel = page.getByRole('dialog', { name: 'Sluice devtools' })
  await expect(panel.getByRole('tab', { name: 'Topics' })).toHaveAttribute('aria-selected', 'true')

  // The snapshot frame is the topic's first position: the published event is the one after it.
  const topic = panel.locator('section[data-topic="todos"]')
  const snapshot = topic.locator('tr[data-type="snapshot"]')
  await expect(snapshot).toHaveCount(1)
  const at = (await snapshot.getAttribute('data-position')) ?? ''
  const [epoch, seq] = at.split(':')
  const title = `devtools todo ${Date.now()}`
  // Enter submits: the open panel sits over the form's button, as a devtools panel does.
  await page.getByLabel('New todo').fill(title)
  await page.getByLabel('New todo').press('Enter')

  const row = topic.locator('tr[data-type="event"]').filter({ hasText: title })
  await expect(row).toHaveCount(1)
  await expect(row).toHaveAttribute('data-position', `${epoch}:${Number(seq) + 1}`)
  await expect(row.locator('td').nth(3)).toHaveText('created')
  await expect(topic.locator('h3')).toContainText(
    `todos · at ${epoch}:${Number(seq) + 1} · 1 events · 0 resyncs`,
  )

  // The call that added it, answered.
  await panel.getByRole('tab', { name: 'Commands' }).click()
  await expect(
    panel.locator('tr[data-command="call"][data-outcome="result"]').filter({ hasText: 'addTodo' }),
  ).toHaveCount(1)
})

test('the connection tab shows the timeline across a dropped connection', async ({ page, request }) => {
  await page.goto('/dev.html?transport=ws')
  await expect(page.getByTestId('connection')).toHaveAttribute('data-status', 'open')
  await page.getByRole('button', { name: /^Sluice devtools/ }).click()
  const panel = page.getByRole('dialog', { name: 'Sluice devtools' })
  await panel.getByRole('tab', { name: 'Topics' }).press('ArrowRight')
  await expect(panel.getByRole('tab', { name: 'Connection' })).toHaveAttribute('aria-selected', 'true')
  await expect(panel.locator('tr[data-status="open"]')).toHaveCount(1)

  const dropped = await request.post('/__e2e/drop')
  expect(dropped.ok()).toBe(true)
  await expect(panel.locator('tr[data-status="open"]')).toHaveCount(2)
  const reconnecting = panel.locator('tr[data-status="reconnecting"]')
  await expect(reconnecting).toHaveCount(1)
  await expect(reconnecting.locator('td').nth(3)).toHaveText('1')
  await expect(reconnecting.locator('td').nth(5)).toContainText('NETWORK')
  // Newest first: open, connecting (with ws), connecting, reconnecting, then the first open.
  await expect(panel.locator('tbody tr td:nth-child(2)')).toHaveText([
    'open',
    'connecting',
    'connecting',
    'reconnecting',
    'open',
    'connecting',
    'connecting',
    'idle',
  ])

  await page.keyboard.press('Escape')
  await expect(panel).toBeHidden()
  await expect(page.getByRole('button', { name: /^Sluice devtools/ })).toBeFocused()
})

test('the production build carries none of the overlay, in its bundle or its DOM', async ({
  page,
  request,
}) => {
  const production = await (await request.get('/app.js')).text()
  const development = await (await request.get('/app.dev.js')).text()
  expect(MARKERS.filter((marker) => development.includes(marker))).toEqual(MARKERS)
  expect(MARKERS.filter((marker) => production.includes(marker))).toEqual([])

  const scripts: string[] = []
  page.on('request', (sent) => {
    if (sent.resourceType() === 'script') scripts.push(new URL(sent.url()).pathname)
  })
  await page.goto('/?transport=ws')
  await expect(page.getByTestId('todos-status')).toHaveText('live')
  expect(scripts).toEqual(['/app.js'])
  await expect(page.locator('[data-sluice-devtools]')).toHaveCount(0)
  await expect(page.getByRole('button', { name: /Sluice devtools/ })).toHaveCount(0)
})
