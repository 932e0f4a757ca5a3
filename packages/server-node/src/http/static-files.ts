import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
}

/** Options of {@link createStaticHandler}. */
export interface StaticHandlerOptions {
  /**
   * Answer unknown extension-less paths that accept HTML with the root `index.html`, so a
   * single-page app's client-side routes survive a reload.
   * @default true
   */
  spaFallback?: boolean
}

/**
 * A small node:http handler that serves the files under `root` (GET and HEAD): `index.html`
 * for folders, content types by extension, no dotfiles, and nothing outside `root`, symlinks
 * included. Meant for `sluice-server --static`, to serve a built app next to the realtime endpoints.
 *
 * @example
 * const serveApp = createStaticHandler('./dist')
 * http.createServer((req, res) => void serveApp(req, res))
 */
export function createStaticHandler(
  root: string,
  options: StaticHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { spaFallback = true } = options
  const rootPath = resolve(root)
  let realRoot: Promise<string> | undefined

  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return text(res, 405, 'Method Not Allowed')
    }
    realRoot ??= realpath(rootPath)
    const pathname = decodePath(req.url ?? '/')
    if (pathname === undefined) return text(res, 400, 'Bad Request')
    // Dotfiles (.env, .git) and any `..` stay private, whatever the folder holds.
    if (pathname.split('/').some((segment) => segment.startsWith('.'))) return text(res, 404, 'Not Found')
    const base = await realRoot.catch(() => undefined)
    if (base === undefined) return text(res, 404, 'Not Found')

    let file = await findFile(base, pathname)
    if (file === undefined && spaFallback && extname(pathname) === '' && accepts(req, 'text/html')) {
      file = await findFile(base, '/index.html')
    }
    if (file === undefined) return text(res, 404, 'Not Found')

    const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream'
    res.writeHead(200, {
      'content-type': type,
      'content-length': file.size,
      'last-modified': file.mtime.toUTCString(),
      // HTML names the hashed assets of the current build: revalidate it, let the rest be cached briefly.
      'cache-control': type.startsWith('text/html') ? 'no-cache' : 'public, max-age=300',
      'x-content-type-options': 'nosniff',
    })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    const stream = createReadStream(file.path)
    stream.on('error', () => res.destroy())
    stream.pipe(res)
  }
}

/** The path part of a request URL, percent-decoded; undefined when it cannot be decoded safely. */
function decodePath(url: string): string | undefined {
  const raw = url.split(/[?#]/, 1)[0] ?? '/'
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined
  return decoded
}

async function findFile(
  base: string,
  pathname: string,
): Promise<{ path: string; size: number; mtime: Date } | undefined> {
  let candidate = join(base, ...pathname.split('/').filter(Boolean))
  try {
    let info = await stat(candidate)
    if (info.isDirectory()) {
      candidate = join(candidate, 'index.html')
      info = await stat(candidate)
    }
    if (!info.isFile()) return undefined
    // A symlink inside the folder must not lead out of it.
    const real = await realpath(candidate)
    if (real !== base && !real.startsWith(base + sep)) return undefined
    return { path: real, size: info.size, mtime: info.mtime }
  } catch {
    return undefined
  }
}

// Only an explicit mention counts: fetch() sends "*/*" and should get a 404 for a missing file.
function accepts(req: IncomingMessage, type: string): boolean {
  return req.headers.accept?.includes(type) ?? false
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}
