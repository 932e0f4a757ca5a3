// docs/guides/nuxt.md shows this app's files as they are. The snippet checker cannot compile
// them (they use Nuxt's auto-imports, typed only inside the app), so each is fenced under
// `<!-- snippet: skip examples/nuxt-app/<file> … -->` and this test holds it equal to that file,
// which the example's typecheck, `nuxt build` and e2e test check.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const GUIDE = 'docs/guides/nuxt.md'
const SHOWN = /^<!--\s*snippet:\s*skip\s+(examples\/nuxt-app\/\S+)/

/** Each block of the guide that names an example file, with that file's path. */
function shownFiles(): { file: string; block: string; line: number }[] {
  const lines = readFileSync(`${root}${GUIDE}`, 'utf8').split('\n')
  const shown = []
  for (let i = 0; i < lines.length; i++) {
    const marker = SHOWN.exec(lines[i]!.trim())
    if (!marker) continue
    let open = i + 1
    while (lines[open]?.trim() === '') open++
    const fence = /^(`{3,})\w*$/.exec(lines[open] ?? '')
    if (!fence)
      throw new Error(`${GUIDE}:${i + 1}: the marker for ${marker[1]} is not followed by a code block`)
    const close = lines.indexOf(fence[1]!, open + 1)
    shown.push({ file: marker[1]!, block: lines.slice(open + 1, close).join('\n'), line: open + 1 })
    i = close
  }
  return shown
}

test('the guide shows the example files as they are', () => {
  const shown = shownFiles()
  expect(shown.map((entry) => entry.file)).toEqual([
    'examples/nuxt-app/nuxt.config.ts',
    'examples/nuxt-app/realtime/server.ts',
    'examples/nuxt-app/server/api/todos.get.ts',
    'examples/nuxt-app/app/app.vue',
  ])
  for (const { file, block, line } of shown) {
    expect(`${block}\n`, `${GUIDE}:${line} shows ${file}`).toBe(readFileSync(`${root}${file}`, 'utf8'))
  }
})
