import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { RpcReply } from './rpc.ts'

/** Whether `taskset` can pin processes here; without it children share both cores freely. */
export const tasksetAvailable: boolean = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

export interface SpawnOptions {
  /** CPU to pin the child to with taskset (ignored when taskset is missing). */
  cpu: number
  /** Open-file limit to ask for (through the shell's `ulimit -n`) before starting node. */
  openFiles?: number
  nodeArgs?: string[]
  env?: Record<string, string>
  /** How long the child may take to say it is ready. */
  readyTimeoutMs?: number
}

/** A child process (target server or load generator) driven over IPC. */
export class Child {
  readonly #process: ChildProcess
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  #nextId = 1
  #exited: Error | null = null
  readonly ready: Promise<unknown>

  constructor(script: string, args: string[], options: SpawnOptions) {
    const node = [...(options.nodeArgs ?? []), script, ...args]
    const pinned = tasksetAvailable
      ? ['taskset', '-c', String(options.cpu), process.execPath]
      : [process.execPath]
    // `ulimit -n` is a shell builtin: run node under sh so the raised limit applies to it alone.
    const limit = options.openFiles ?? 0
    const shell = `ulimit -n ${limit} 2>/dev/null || ulimit -n hard 2>/dev/null; exec "$@"`
    const [command, commandArgs] =
      limit > 0
        ? ['sh', ['-c', shell, 'sh', ...pinned, ...node]]
        : [pinned[0]!, [...pinned.slice(1), ...node]]
    this.#process = spawn(command as string, commandArgs as string[], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...options.env },
    })
    let onReady: (info: unknown) => void = () => {}
    let onFail: (error: Error) => void = () => {}
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve
      onFail = reject
    })
    const timer = setTimeout(
      () => onFail(new Error(`${script} ${args.join(' ')} not ready in time`)),
      options.readyTimeoutMs ?? 30_000,
    )
    this.#process.on('message', (message: RpcReply | { ready: true; info: unknown }) => {
      if ('ready' in message) {
        clearTimeout(timer)
        onReady(message.info)
        return
      }
      const pending = this.#pending.get(message.rpc)
      if (!pending) return
      this.#pending.delete(message.rpc)
      if (message.ok) pending.resolve(message.value)
      else pending.reject(new Error(message.error))
    })
    this.#process.on('exit', (code, signal) => {
      clearTimeout(timer)
      this.#exited = new Error(`${script} ${args.join(' ')} exited (${signal ?? code})`)
      onFail(this.#exited)
      for (const pending of this.#pending.values()) pending.reject(this.#exited)
      this.#pending.clear()
    })
  }

  get pid(): number | undefined {
    return this.#process.pid
  }

  call<T>(command: string, args: unknown = {}): Promise<T> {
    if (this.#exited) return Promise.reject(this.#exited)
    const rpc = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(rpc, { resolve: resolve as (value: unknown) => void, reject })
      this.#process.send({ rpc, command, args })
    })
  }

  /** Ends the child (SIGTERM, then SIGKILL if it lingers) and waits for it to be gone. */
  async stop(): Promise<void> {
    if (this.#exited) return
    const gone = new Promise((resolve) => this.#process.once('exit', resolve))
    this.#process.kill('SIGTERM')
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 2_000)
    await gone
    clearTimeout(timer)
  }
}

/** The soft open-file limit of the calling process, read from /proc (Linux only). */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Max open files'))
    const soft = line?.split(/\s+/)[3]
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft)
  } catch {
    return null
  }
}
