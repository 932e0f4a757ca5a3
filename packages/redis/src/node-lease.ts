export interface NodeLeaseOptions {
  nodeId: string
  leaseMs: number
  /** Renews this node's lease; says whether it had lapsed (this node was swept) and which nodes are dead. */
  beat(): Promise<{ wasMissing: boolean; dead: string[] }>
  /** Removes a dead node's presence members (one leave each) and its lease. */
  sweepDead(node: string): Promise<void>
  /** Puts this node's presence members back after it was swept while alive (a long pause). */
  restore(): Promise<void>
  report(error: unknown): void
}

/**
 * This node's lease in Redis, renewed every third of its length, and the sweep of nodes whose
 * lease ran out: a node killed with -9 says nothing, so the survivors remove its presence
 * members within about one lease.
 */
export class NodeLease {
  #timer: ReturnType<typeof setInterval> | undefined
  #beating = false
  #beats = 0

  constructor(private readonly options: NodeLeaseOptions) {}

  start(): void {
    if (this.#timer !== undefined) return
    void this.#beat()
    this.#timer = setInterval(() => void this.#beat(), Math.max(10, Math.floor(this.options.leaseMs / 3)))
    this.#timer.unref?.()
  }

  async #beat(): Promise<void> {
    // A beat that outlasts the interval (Redis slow or away) is not stacked with another.
    if (this.#beating) return
    this.#beating = true
    try {
      const { wasMissing, dead } = await this.options.beat()
      if (wasMissing && this.#beats > 0) await this.options.restore()
      this.#beats++
      for (const node of dead) {
        if (node !== this.options.nodeId) await this.options.sweepDead(node)
      }
    } catch (error) {
      this.options.report(error)
    } finally {
      this.#beating = false
    }
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
