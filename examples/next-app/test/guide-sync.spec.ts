// docs/guides/nextjs.md shows this app's files as they are. The snippet checker cannot compile
// them (they import next and each other), so each is fenced under
// `<!-- snippet: skip examples/next-app/<file> … -->` and this test holds it equal to that file,
// which the example's typecheck, `next build` and e2e test check.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const GUIDE = 'docs/guides/nextjs.md'
const SHOWN = /^<!--\s*snippet:\s*skip\s+(examples\/next-app\/\S+)/

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
    'examples/next-app/sluice.config.mjs',
    'examples/next-app/app/providers.tsx',
    'examples/next-app/app/layout.tsx',
    'examples/next-app/lib/sluice-env.ts',
    'examples/next-app/lib/read-messages.ts',
    'examples/next-app/app/page.tsx',
    'examples/next-app/lib/messages.ts',
    'examples/next-app/app/message-list.tsx',
  ])
  for (const { file, block, line } of shown) {
    expect(`${block}\n`, `${GUIDE}:${line} shows ${file}`).toBe(readFileSync(`${root}${file}`, 'utf8'))
  }
})
