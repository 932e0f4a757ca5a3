/**
 * A small request/response layer over the IPC channel between the orchestrator and its child
 * processes (target servers and load generators). Requests and replies are plain JSON.
 */

export interface RpcRequest {
  rpc: number
  command: string
  args: unknown
}

export interface RpcReply {
  rpc: number
  ok: boolean
  value?: unknown
  error?: string
}

export type RpcHandlers = Record<string, (args: never) => unknown>

/** Answers requests from the parent process with the given handlers. */
export function serveRpc(handlers: RpcHandlers): void {
  process.on('message', async (message: RpcRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.rpc !== 'number') return
    const handler = handlers[message.command]
    let reply: RpcReply
    try {
      if (!handler) throw new Error(`unknown command ${message.command}`)
      const value = await handler(message.args as never)
      reply = { rpc: message.rpc, ok: true, value }
    } catch (error) {
      reply = {
        rpc: message.rpc,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }
    }
    process.send?.(reply)
  })
  // The parent going away must not leave a pinned child spinning on the machine.
  process.on('disconnect', () => process.exit(0))
  // A clean exit on SIGTERM lets `--cpu-prof` write its profile.
  process.on('SIGTERM', () => process.exit(0))
}

/** Tells the parent the child is ready, with whatever it needs to know (e.g. the port). */
export function signalReady(info: unknown): void {
  process.send?.({ ready: true, info })
}
