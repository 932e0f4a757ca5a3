/** Something with a deadline in a {@link TimerHeap}. */
export interface Scheduled {
  /** When it is due (ms, the heap's clock); set by the heap. */
  dueAt: number
  /** Its index in the heap, -1 when not queued; maintained by the heap. */
  heapSlot: number
  /** Called once it is due (it is out of the heap by then and may schedule itself again). */
  fire(now: number): void
}

/**
 * Deadlines of many objects behind one timer: a binary min-heap on `dueAt` and a single
 * setTimeout armed for the earliest. A connection's heartbeat and idle checks live here
 * instead of in two timers per connection (each a Timeout object and a closure), so ten
 * thousand idle connections cost ten thousand heap slots, not twenty thousand timers.
 */
export class TimerHeap {
  readonly #items: Scheduled[] = []
  readonly #now: () => number
  readonly #onError: (error: unknown) => void
  #timer: ReturnType<typeof setTimeout> | undefined
  #armedFor = Number.POSITIVE_INFINITY

  constructor(now: () => number, onError: (error: unknown) => void) {
    this.#now = now
    this.#onError = onError
  }

  get size(): number {
    return this.#items.length
  }

  /** Queues `item` for `dueAt`, or moves it there if it is queued already. */
  schedule(item: Scheduled, dueAt: number): void {
    if (item.heapSlot >= 0) {
      const earlier = dueAt < item.dueAt
      item.dueAt = dueAt
      if (earlier) this.#up(item.heapSlot)
      else this.#down(item.heapSlot)
    } else {
      item.dueAt = dueAt
      item.heapSlot = this.#items.length
      this.#items.push(item)
      this.#up(item.heapSlot)
    }
    this.#arm()
  }

  /** Takes `item` out of the heap (no-op when it is not queued). */
  cancel(item: Scheduled): void {
    const slot = item.heapSlot
    if (slot < 0) return
    const items = this.#items
    const last = items.pop() as Scheduled
    item.heapSlot = -1
    if (last !== item) {
      items[slot] = last
      last.heapSlot = slot
      this.#up(slot)
      this.#down(last.heapSlot)
    }
    this.#arm()
  }

  #arm(): void {
    const head = this.#items[0]
    if (head === undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#armedFor = Number.POSITIVE_INFINITY
      return
    }
    if (this.#timer !== undefined && head.dueAt === this.#armedFor) return
    clearTimeout(this.#timer)
    this.#armedFor = head.dueAt
    this.#timer = setTimeout(() => this.#run(), Math.max(0, head.dueAt - this.#now()))
    this.#timer.unref?.()
  }

  #run(): void {
    this.#timer = undefined
    this.#armedFor = Number.POSITIVE_INFINITY
    const now = this.#now()
    const items = this.#items
    for (let head = items[0]; head !== undefined && head.dueAt <= now; head = items[0]) {
      this.cancel(head)
      try {
        head.fire(now)
      } catch (error) {
        this.#onError(error)
      }
    }
    this.#arm()
  }

  #up(slot: number): void {
    const items = this.#items
    const item = items[slot] as Scheduled
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1
      const parent = items[parentSlot] as Scheduled
      if (parent.dueAt <= item.dueAt) break
      items[slot] = parent
      parent.heapSlot = slot
      slot = parentSlot
    }
    items[slot] = item
    item.heapSlot = slot
  }

  #down(slot: number): void {
    const items = this.#items
    const count = items.length
    const item = items[slot] as Scheduled
    for (;;) {
      const left = 2 * slot + 1
      if (left >= count) break
      const right = left + 1
      const child =
        right < count && (items[right] as Scheduled).dueAt < (items[left] as Scheduled).dueAt ? right : left
      const next = items[child] as Scheduled
      if (next.dueAt >= item.dueAt) break
      items[slot] = next
      next.heapSlot = slot
      slot = child
    }
    items[slot] = item
    item.heapSlot = slot
  }
}
