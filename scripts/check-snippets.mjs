// Type-checks every code example in the READMEs and guides, so a README whose example does not
// compile fails the build (issue #12: "copy-paste-correct"). Each ```ts / ```tsx / ```typescript /
// ```js / ```jsx / ```vue / ```svelte block becomes its own module under test-results/snippets/
// (git-ignored, inside the workspace): `@sluice/*` resolves to the packages' sources, as with
// tsconfig.base.json's paths, so no build is needed; react, vue, pg… to the workspace packages'
// own dependencies (see modulePaths). vue-tsc and svelte are the root's devDependencies.
//
// - .ts/.tsx/.js/.jsx and .vue blocks are checked in one vue-tsc program (tsc plus Vue's template
//   type-checking) with the repo's strict settings, JSX as react-jsx, DOM and Node types.
// - .svelte blocks are compiled with svelte/compiler (syntax, runes, template; a compiler warning
//   fails too), and their `<script lang="ts">` is type-checked as a module with Svelte's rune
//   declarations. Limitations: a `$store` read inside the script (not the markup) is an unknown
//   name to tsc, and the markup is compiled but not type-checked (that needs svelte-check).
// - Shell, text, json, sql and other fences are not checked.
// - Canary blocks that must fail (one per kind) run with the real ones, so a tool that silently
//   stops reporting fails the run instead of passing every README.
//
// Markers, on the line(s) just above a fence (blank lines between are fine); use them sparingly:
//   <!-- snippet: continues -->     the block continues the previous checked block of the same
//                                   file (a fragment using its imports and declarations); the two
//                                   are checked as one module.
//   <!-- snippet: skip <reason> --> the block is not checked; the reason is required. A reason that
//                                   starts with a path `examples/…` says the block shows that file
//                                   whole: it must equal it (scripts/shown-files.mjs).
// A failure names the markdown file and the line in it: `packages/react/README.md:42:7 TS2304 …`.
//
// Usage: node scripts/check-snippets.mjs [markdown files…]   (default: every README and guide)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { SHOWN_FILE, shownFileProblems } from './shown-files.mjs'

const root = resolve(new URL('..', import.meta.url).pathname)
const outDir = join(root, 'test-results', 'snippets')
const require = createRequire(import.meta.url)

/** The markdown the build holds to compiling examples: every package README, the root one, the guides. */
function defaultMarkdownFiles() {
  const files = ['README.md']
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    if (existsSync(join(root, 'packages', pkg, 'README.md'))) files.push(`packages/${pkg}/README.md`)
  }
  const guides = join(root, 'docs', 'guides')
  if (existsSync(guides)) {
    for (const name of readdirSync(guides).sort()) {
      if (name.endsWith('.md')) files.push(`docs/guides/${name}`)
    }
  }
  return files
}

const EXTENSIONS = {
  ts: 'ts',
  typescript: 'ts',
  tsx: 'tsx',
  js: 'js',
  javascript: 'js',
  jsx: 'jsx',
  vue: 'vue',
  svelte: 'svelte',
}
const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([\w-]*)/
const MARKER = /^<!--\s*snippet:\s*(\S+)\s*(.*?)\s*-->$/

/**
 * The checked blocks of one markdown file, each with the 1-based markdown line of its first code
 * line, its marker, and for `continues` the block it joins; and the skipped blocks that show an
 * example's file. Problems with markers are returned, not thrown, so one run reports all of them.
 */
function extractBlocks(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const blocks = []
  const shown = []
  const problems = []
  let previousChecked = null
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) continue
    const [, indent, fence, info] = open
    let end = i + 1
    while (end < lines.length && !lines[end].trimStart().startsWith(fence)) end++
    const code = lines
      .slice(i + 1, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
    const marker = markerAbove(lines, i)
    const ext = EXTENSIONS[info.toLowerCase()]
    const at = `${file}:${i + 1}`
    if (marker && !ext)
      problems.push(`${at} a snippet marker above a \`\`\`${info} block, which is never checked`)
    if (ext && marker?.kind === 'skip' && marker.reason === '') {
      problems.push(`${at} <!-- snippet: skip --> needs a reason`)
    }
    const shows = ext && marker?.kind === 'skip' ? SHOWN_FILE.exec(marker.reason) : null
    if (shows) shown.push({ at: `${file}:${i + 2}`, path: shows[1], code })
    if (marker && marker.kind !== 'skip' && marker.kind !== 'continues') {
      problems.push(`${at} unknown snippet marker "${marker.kind}" (use continues or skip <reason>)`)
    }
    if (ext && marker?.kind !== 'skip') {
      const block = { file, ext, code, firstLine: i + 2, joins: null }
      if (marker?.kind === 'continues') {
        if (!previousChecked)
          problems.push(`${at} <!-- snippet: continues --> with no checked block before it`)
        else if (!canJoin(previousChecked.ext, ext)) {
          problems.push(`${at} a ${ext} block cannot continue a ${previousChecked.ext} block`)
        } else block.joins = previousChecked
      }
      blocks.push(block)
      previousChecked = block
    }
    i = end
  }
  return { blocks, shown, problems }
}

function markerAbove(lines, fenceIndex) {
  let j = fenceIndex - 1
  while (j >= 0 && lines[j].trim() === '') j--
  const match = j >= 0 ? MARKER.exec(lines[j].trim()) : null
  return match ? { kind: match[1], reason: match[2] } : null
}

const SCRIPT_LIKE = new Set(['ts', 'tsx', 'js', 'jsx'])
function canJoin(before, after) {
  return SCRIPT_LIKE.has(before) && SCRIPT_LIKE.has(after) && isJs(before) === isJs(after)
}
const isJs = (ext) => ext === 'js' || ext === 'jsx'

/** The block's whole chain (the blocks it continues, oldest first). */
function chain(block) {
  const blocks = []
  for (let b = block; b; b = b.joins) blocks.unshift(b)
  return blocks
}

/**
 * Writes one module per block (a continued block's module holds its chain) and returns, per
 * generated path, the markdown location of each generated line.
 */
function writeModules(blocks) {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  const sources = new Map()
  const svelteBlocks = []
  blocks.forEach((block, n) => {
    const parts = chain(block)
    const ext = parts.some((b) => b.ext === 'tsx' || b.ext === 'jsx')
      ? isJs(block.ext)
        ? 'jsx'
        : 'tsx'
      : block.ext
    const slug = block.file.replace(/\.md$/, '').replace(/[^\w]+/g, '-')
    const path = join(outDir, slug, `line-${block.firstLine}-${n}.${ext}`)
    const text = []
    const origin = []
    for (const part of parts) {
      part.code.forEach((line, k) => {
        text.push(line)
        origin.push({ file: part.file, line: part.firstLine + k })
      })
    }
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, `${text.join('\n')}\n`)
    sources.set(path, origin)
    if (ext === 'svelte') svelteBlocks.push({ path, text: text.join('\n'), origin })
  })
  return { sources, svelteBlocks }
}

/**
 * A .svelte block's `<script lang="ts">`, as a .ts module beside it, so tsc checks it; its lines
 * keep their markdown origin.
 */
function writeSvelteScripts(svelteBlocks, sources) {
  for (const block of svelteBlocks) {
    const lines = block.text.split('\n')
    const start = lines.findIndex((line) => /^<script\b[^>]*\blang=["']ts["']/.test(line.trim()))
    if (start < 0) continue
    const end = lines.findIndex((line, k) => k > start && line.trim() === '</script>')
    const path = `${block.path}.script.ts`
    // Svelte's own types declare the runes ($props, $state…) as globals.
    writeFileSync(path, `/// <reference types="svelte" />\n${lines.slice(start + 1, end).join('\n')}\n`)
    sources.set(path, [block.origin[start], ...block.origin.slice(start + 1, end)])
  }
}

/**
 * `@sluice/*` (and its subpaths) resolve to the packages' sources, as in tsconfig.base.json and
 * vitest.shared.ts; any other import falls back to the dependencies of the workspace packages
 * (react from packages/react, pg from packages/postgres...), so a snippet may import what the
 * package it documents depends on without the root declaring it again.
 */
function modulePaths() {
  const paths = {}
  const packages = readdirSync(join(root, 'packages')).sort()
  for (const pkg of packages) {
    const src = join(root, 'packages', pkg, 'src')
    const entry = sourceEntry(pkg)
    if (entry) paths[`@sluice/${pkg}`] = [relative(outDir, entry)]
    if (existsSync(join(src, 'testing.ts'))) {
      paths[`@sluice/${pkg}/testing`] = [relative(outDir, join(src, 'testing.ts'))]
    }
  }
  paths['@sluice/protocol/fixtures/*'] = [relative(outDir, join(root, 'packages/protocol/fixtures/*'))]
  // Declarations first: a JavaScript-only match (react, pg) would otherwise win over @types.
  const roots = [root, ...packages.map((pkg) => join(root, 'packages', pkg))]
  paths['*'] = [
    ...roots.map((dir) => relative(outDir, join(dir, 'node_modules/@types/*'))),
    ...roots.map((dir) => relative(outDir, join(dir, 'node_modules/*'))),
  ]
  return paths
}

/**
 * The source file behind a package's main entry: src/index.ts, or the source of what its
 * package.json exports as `.` (`./dist/module.js` → src/module.ts, as for @sluice/nuxt).
 */
function sourceEntry(pkg) {
  const dir = join(root, 'packages', pkg)
  if (existsSync(join(dir, 'src', 'index.ts'))) return join(dir, 'src', 'index.ts')
  if (!existsSync(join(dir, 'package.json'))) return null
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const main = manifest.exports?.['.']?.default ?? manifest.exports?.['.']?.import?.default ?? manifest.main
  const match = typeof main === 'string' ? /^\.\/dist\/(.+)\.[cm]?js$/.exec(main) : null
  const source = match ? join(dir, 'src', `${match[1]}.ts`) : null
  return source && existsSync(source) ? source : null
}

function writeTsconfig(sources) {
  const files = [...sources.keys()]
    .filter((path) => !path.endsWith('.svelte'))
    .map((p) => relative(outDir, p))
  const config = {
    extends: '../../tsconfig.base.json',
    compilerOptions: {
      jsx: 'react-jsx',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: ['node'],
      // Every block is a module, so two blocks declaring `client` do not collide.
      moduleDetection: 'force',
      allowJs: true,
      checkJs: true,
      noEmit: true,
      paths: modulePaths(),
    },
    files,
  }
  writeFileSync(join(outDir, 'tsconfig.json'), `${JSON.stringify(config, null, 2)}\n`)
}

const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/

/** vue-tsc's (tsc's) diagnostics, mapped back to the markdown; others kept as printed. */
function typeCheck(sources) {
  const vueTsc = require.resolve('vue-tsc/bin/vue-tsc.js')
  const result = spawnSync(
    process.execPath,
    [vueTsc, '-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'],
    {
      cwd: outDir,
      encoding: 'utf8',
    },
  )
  if (result.error) throw result.error
  const failures = []
  const outside = []
  let last = null
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    const match = DIAGNOSTIC.exec(line)
    if (match) {
      const [, path, lineNo, col, code, message] = match
      const origins = sources.get(resolve(outDir, path))
      if (!origins) {
        // An error inside a package's own source: its typecheck step reports it, with the
        // package's settings; counting it here would fail every README for one source file.
        outside.push(`${relative(root, resolve(outDir, path))}:${lineNo}`)
        last = null
        continue
      }
      const origin = origins[Number(lineNo) - 1] ?? origins[origins.length - 1]
      last = { where: `${origin.file}:${origin.line}:${col}`, code, message }
      failures.push(last)
    } else if (line.startsWith(' ')) {
      if (last) last.message += `\n    ${line.trim()}`
    } else if (line.trim() !== '') {
      failures.push({ where: 'vue-tsc', code: '', message: line })
      last = null
    }
  }
  if (outside.length > 0) {
    console.log(
      `(not counted: ${outside.length} errors in package sources, e.g. ${outside[0]}; see their typecheck)`,
    )
  }
  if (result.status !== 0 && failures.length === 0 && outside.length === 0) {
    failures.push({ where: 'vue-tsc', code: '', message: `exited with ${result.status} and no diagnostics` })
  }
  return failures
}

/** svelte/compiler over each .svelte block: syntax, runes and template errors, with their line. */
async function compileSvelte(svelteBlocks) {
  if (svelteBlocks.length === 0) return []
  const { compile } = await import('svelte/compiler')
  const failures = []
  for (const block of svelteBlocks) {
    try {
      const { warnings } = compile(block.text, { filename: block.path, generate: 'client' })
      for (const warning of warnings) failures.push(svelteFailure(block, warning, 'svelte warning'))
    } catch (error) {
      failures.push(svelteFailure(block, error, 'svelte'))
    }
  }
  return failures
}

function svelteFailure(block, problem, code) {
  const line = problem.start?.line
  const origin = line ? block.origin[line - 1] : block.origin[0]
  return {
    where: `${origin.file}:${origin.line}:${(problem.start?.column ?? 0) + 1}`,
    code,
    message: problem.message,
  }
}

/**
 * Blocks that must fail, checked with the real ones: if a tool stops reporting (a changed output
 * format, a config that type-checks nothing), the run fails instead of passing every README.
 */
const CANARY_FILE = '(canary)'
const CANARIES = [
  { ext: 'ts', code: ["const canary: number = 'not a number'"] },
  { ext: 'tsx', code: ['export const canary = <div>{undefinedInCanary}</div>'] },
  {
    ext: 'vue',
    code: [
      '<script setup lang="ts">',
      'const canary = 1',
      '</script>',
      '<template>{{ canary.nope }}</template>',
    ],
  },
  {
    ext: 'svelte',
    code: ['<script lang="ts">', "  const canary: number = 'x'", '</script>', '{#if canary}'],
  },
]
// Per canary: its type error, and for Svelte also the compiler's error (the unclosed block).
const CANARY_ERRORS = { ts: 1, tsx: 1, vue: 1, svelte: 2 }

const files = process.argv.length > 2 ? process.argv.slice(2) : defaultMarkdownFiles()
const blocks = CANARIES.map((canary, n) => ({
  file: CANARY_FILE,
  ...canary,
  firstLine: 1000 * (n + 1),
  joins: null,
}))
const problems = []
for (const file of files) {
  const extracted = extractBlocks(file)
  blocks.push(...extracted.blocks)
  problems.push(...extracted.problems, ...shownFileProblems(root, extracted.shown))
}
const { sources, svelteBlocks } = writeModules(blocks)
writeSvelteScripts(svelteBlocks, sources)
writeTsconfig(sources)

const reported = [...typeCheck(sources), ...(await compileSvelte(svelteBlocks))]
for (const canary of CANARIES) {
  const index = CANARIES.indexOf(canary)
  const first = 1000 * (index + 1)
  const seen = reported.filter((f) => {
    const [file, line] = f.where.split(':')
    return file === CANARY_FILE && Number(line) >= first && Number(line) < first + 1000
  }).length
  if (seen !== CANARY_ERRORS[canary.ext]) {
    problems.push(
      `the checker is broken: its ${canary.ext} canary gave ${seen} errors, not ${CANARY_ERRORS[canary.ext]} (${canary.code.join(' ')})`,
    )
  }
}
const failures = reported.filter((f) => !f.where.startsWith(`${CANARY_FILE}:`))
// A block continued by another is checked twice (alone and in the joined module): report once.
const seen = new Set()
const unique = failures.filter((f) => {
  const id = `${f.where} ${f.code} ${f.message}`
  if (seen.has(id)) return false
  seen.add(id)
  return true
})
for (const problem of problems) console.log(problem)
for (const f of unique) console.log(`${f.where} ${f.code ? `${f.code} ` : ''}${f.message}`)
const checked = blocks.filter((b) => b.file !== CANARY_FILE)
const fileCount = new Set(checked.map((b) => b.file)).size
console.log(
  `snippets: ${checked.length} blocks in ${fileCount} files checked, ${unique.length} errors, ${problems.length} other problems (markers, shown files, canaries)`,
)
if (unique.length + problems.length > 0) {
  console.log(
    'Fix the example so it compiles as written; a fragment or a non-TypeScript block can be marked, sparingly: see the header of scripts/check-snippets.mjs',
  )
}
process.exit(unique.length + problems.length > 0 ? 1 : 0)
