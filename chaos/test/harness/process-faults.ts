/**
 * Records what would crash a server process or be lost silently: uncaught exceptions and
 * unhandled rejections. The server under test runs in the test's own process, so a listener
 * here sees everything it throws outside a handler; with one installed, Node no longer crashes
 * on them, which lets the test fail naming the fault instead of dying.
 */
export interface ProcessFaults {
  /** Every fault so far, as `kind: message`. */
  readonly faults: string[]
  /** Removes the listeners. */
  stop(): void
}

export function watchProcessFaults(): ProcessFaults {
  const faults: string[] = []
  const describe = (error: unknown) =>
    error instanceof Error ? (error.stack ?? error.message) : String(error)
  const onRejection = (reason: unknown) => faults.push(`unhandledRejection: ${describe(reason)}`)
  const onException = (error: unknown) => faults.push(`uncaughtException: ${describe(error)}`)
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    faults,
    stop() {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}
