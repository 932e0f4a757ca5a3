import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'

// size-limit fails `pnpm size` when a check grows past its limit, and the limits are kept at
// the measured sizes (lowered when the code shrinks). This keeps the README's size table equal
// to those limits, so the advertised figures cannot drift from what is enforced.
const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
const checks = JSON.parse(read('.size-limit.json')) as Array<{ name: string; limit: string }>
const rows = read('README.md')
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim().replace(/^`|`$/g, '')),
  )

test.each(checks)('the README size table states the limit of "$name"', ({ name, limit }) => {
  expect(rows).toContainEqual([name, limit])
})
