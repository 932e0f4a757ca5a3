import { type ChildProcess, spawn } from 'node:child_process'
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/**
 * nginx as Debian ships it, run as a child process in front of a test server. The config keeps
 * Debian's `http` settings and nginx's proxy defaults (proxy_buffering on, proxy_http_version
 * 1.0, default buffer sizes): only what a test needs to run it unprivileged in the foreground
 * (`daemon off`, a free port, pid, logs and temp files in a temp dir) and the `proxy_pass` are
 * added. `extra` lines go in the `location` block, for a control experiment.
 */
export interface Nginx {
  readonly port: number
  /** The error log so far, for a failing assertion to show. */
  errorLog(): string
  stop(): Promise<void>
}

/**
 * The nginx binary: `$NGINX`, else `nginx` on PATH, else Debian's /usr/sbin/nginx (not on a
 * non-root user's PATH). Null when there is none.
 */
export function findNginx(): string | null {
  const candidates = [
    process.env.NGINX,
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nginx')),
    '/usr/sbin/nginx',
  ]
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === '') continue
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not there or not executable: the next candidate.
    }
  }
  return null
}

/** A port nobody listens on right now (the OS picks it; nginx binds it a moment later). */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

function config(dir: string, port: number, upstreamPort: number, extra: readonly string[]): string {
  const temp = (name: string) => {
    const path = join(dir, name)
    mkdirSync(path)
    return path
  }
  // Run as root (CI containers, this machine), the master would start its workers as `nobody`,
  // who cannot write the temp dir; as anyone else the directive is not allowed at all.
  const user = process.getuid?.() === 0 ? 'user root;' : ''
  const mimeTypes = existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;' : ''
  return `
${user}
worker_processes auto;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')};

events {
  worker_connections 768;
}

http {
  # Debian's /etc/nginx/nginx.conf http block, as shipped.
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  ${mimeTypes}
  default_type application/octet-stream;
  access_log ${join(dir, 'access.log')};
  gzip on;

  # Where an unprivileged nginx may write.
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};

  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      ${extra.join('\n      ')}
    }
  }
}
`
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Starts nginx in front of `upstreamPort`; resolves once it accepts connections. */
export async function startNginx(
  binary: string,
  upstreamPort: number,
  extra: readonly string[] = [],
): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nginx-'))
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, config(dir, port, upstreamPort, extra))
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8')
    } catch {
      return ''
    }
  }
  // -e: the compiled-in error log (/var/log/nginx) is opened before the config is read.
  const child: ChildProcess = spawn(binary, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = performance.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`nginx exited with ${child.exitCode} before listening: ${stderr}${errorLog()}`)
    }
    if (await accepts(port)) break
    if (performance.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`nginx did not listen on ${port} within 10 s: ${stderr}${errorLog()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return {
    port,
    errorLog,
    async stop() {
      if (child.exitCode === null) {
        // SIGTERM is nginx's fast shutdown: open connections are closed, not drained.
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
