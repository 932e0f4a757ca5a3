// node --test: the guide-sync check names each block that no longer equals the file it shows.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { SHOWN_FILE, shownFileProblems } from './shown-files.mjs'

const root = mkdtempSync(join(tmpdir(), 'shown-files-'))
after(() => rmSync(root, { recursive: true, force: true }))
mkdirSync(join(root, 'examples/app'), { recursive: true })
writeFileSync(join(root, 'examples/app/a.ts'), 'export const a = 1\nexport const b = 2\n')

test('a block equal to its file passes', () => {
  assert.deepEqual(
    shownFileProblems(root, [
      { at: 'guide.md:3', path: 'examples/app/a.ts', code: ['export const a = 1', 'export const b = 2'] },
    ]),
    [],
  )
})

test('a block that differs from its file is reported with the first line that differs', () => {
  assert.deepEqual(
    shownFileProblems(root, [
      { at: 'guide.md:3', path: 'examples/app/a.ts', code: ['export const a = 1', 'export const b = 3'] },
    ]),
    [
      "guide.md:3 shows examples/app/a.ts but differs from it (first at the file's line 2); copy the file into the block",
    ],
  )
})

test('a block that stops before its file ends is reported', () => {
  assert.deepEqual(
    shownFileProblems(root, [{ at: 'guide.md:3', path: 'examples/app/a.ts', code: ['export const a = 1'] }]),
    [
      "guide.md:3 shows examples/app/a.ts but differs from it (the file goes on after the block's 1 lines); copy the file into the block",
    ],
  )
})

test('a block naming a missing file is reported', () => {
  assert.deepEqual(shownFileProblems(root, [{ at: 'guide.md:9', path: 'examples/app/gone.ts', code: [] }]), [
    'guide.md:9 shows examples/app/gone.ts, which does not exist',
  ])
})

test('the marker reason names the shown file by its repo path', () => {
  assert.equal(
    SHOWN_FILE.exec('examples/next-app/app/page.tsx (built there)')?.[1],
    'examples/next-app/app/page.tsx',
  )
  assert.equal(SHOWN_FILE.exec('a fragment of the example above'), null)
})
