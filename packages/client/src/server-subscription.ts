import type {
  ClientFrame,
  ErrorFrame,
  Filter,
  JsonObject,
  Position,
  SubscribedFrame,
  SubscribeFrame,
} from '@sluice/protocol'
import type { AwaitedAnswers } from './awaited-answers'
import { isRetryLater } from './client-error'
import { stableJson } from './stable-json'

/**
 * Where a topic's subscription on the server stands (one per topic and connection, whatever
 * the number of stores), and how it moves (all through `move` below):
 *
 * - `down`: none (no connection, or the client closed). A subscribe → `subscribing`.
 * - `subscribing`: a subscribe is on its way and nothing is delivered yet. Its `subscribed` →
 *   `resync-follows`, `snapshot-follows` or `live`, as it announces; its refusal → `refused`.
 * - `resubscribing`: a subscribe replaces a live one (a filter changed, a transport switch),
 *   which keeps delivering until the new flow starts; then as `subscribing`.
 * - `resync-follows`, `snapshot-follows`: `subscribed` announced that frame as next; the resync →
 *   `snapshot-follows` when one was announced too, else `live`; the snapshot → `live`.
 * - `live`: events flow. A new subscribe → `resubscribing`.
 * - `refused`: the server refused the subscribe or ended the subscription (FORBIDDEN...): not
 *   subscribed again on reconnect, only when the app asks (a new subscribe, `client.resync`).
 *
 * A lost connection moves every phase but `refused` to `down`.
 */
export type ServerPhase =
  | 'down'
  | 'subscribing'
  | 'resubscribing'
  | 'resync-follows'
  | 'snapshot-follows'
  | 'live'
  | 'refused'

/** What a subscribe must ask for now, from the topic's stores. */
export interface SubscribeWish {
  /** The OR of the stores' filters; undefined when one takes every event. */
  filter: Filter | undefined
  presence: boolean
  snapshot: boolean
  /** The last events to ask for on a subscribe from the head (the largest any store asks for). */
  rewind: number
}

export interface ServerSubscriptionDeps {
  answers: AwaitedAnswers
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  wish(): SubscribeWish
  /** Where the stores' state stands: the resume point. */
  position(): Position | null
  /**
   * The answer to the subscribe that counts arrived, the phase already moved on. `resumed`: that
   * subscribe carried `from`.
   */
  onSubscribed(frame: SubscribedFrame, resumed: boolean): void
  /** The subscribe was refused (the phase is `refused`). */
  onRefused(error: ErrorFrame): void
}

const keyOf = ({ filter, presence }: SubscribeWish) => stableJson(filter) + presence

/**
 * The server side of one topic: the subscribe frames (from the position, with the filters and
 * wishes of every store), their answers and retries, the phase they lead to, and this client's
 * presence state on the topic, which is restated after every `subscribed`.
 */
export function createServerSubscription(topic: string, deps: ServerSubscriptionDeps) {
  const { answers, send, isOpen, nextId } = deps
  let phase: ServerPhase = 'down'
  // The subscribe whose answer counts: an answer to an older one is ignored.
  let latest: SubscribeFrame | undefined
  // The `subscribed` of the flow in progress: what it announced.
  let flow: SubscribedFrame | undefined
  // The filter and presence flag the server subscription has: a change means subscribing again.
  let key: string | undefined
  // The next subscribe starts from the head instead of the position (until it is answered).
  let fromHead = false
  let presence: JsonObject | null = null
  // setPresence was called while no subscription could take it: state it with the next `subscribed`.
  let presenceOwed = false

  const move = (to: ServerPhase) => {
    phase = to
  }

  function subscribe(): void {
    if (!isOpen()) return
    const wish = deps.wish()
    const frame: SubscribeFrame & { id: string } = {
      type: 'subscribe',
      id: nextId(),
      topic,
      filter: wish.filter,
      presence: wish.presence || undefined,
    }
    const from = fromHead ? null : deps.position()
    if (from) {
      frame.from = from
      if (wish.snapshot) frame.snapshot = 'resync'
    }
    // No usable position: start at the head, with the snapshot that makes the stores whole,
    // else with the events the stores want to rewind (the server refuses the two together).
    else if (wish.snapshot) frame.snapshot = 'always'
    else if (wish.rewind > 0) frame.rewind = wish.rewind
    latest = frame
    key = keyOf(wish)
    move(phase === 'live' || phase === 'resubscribing' ? 'resubscribing' : 'subscribing')
    answers.add(frame.id, {
      answer(answer) {
        if (latest !== frame) return
        if (answer.type === 'error') {
          // Not applied (a burst, the server's engine down): the same wish, once there is room.
          if (isRetryLater(answer.code)) {
            answers.retryLater(answer.retryAfterMs ?? 1000, () => {
              if (latest === frame) subscribe()
            })
            return
          }
          move('refused')
          deps.onRefused(answer)
          return
        }
        if (answer.type !== 'subscribed') {
          // Only `subscribed` or an error answers a subscribe: another frame with its id is the server's bug.
          move('refused')
          deps.onRefused({
            type: 'error',
            code: 'INTERNAL',
            message: `subscribe ${topic}: answered with a ${answer.type} frame`,
          })
          return
        }
        fromHead = false
        flow = answer
        move(answer.resync ? 'resync-follows' : answer.snapshot ? 'snapshot-follows' : 'live')
        deps.onSubscribed(answer, frame.from !== undefined)
        // A new subscription starts without this connection's presence, and a change made while
        // it was on its way was kept for now: state it after the subscription exists, so the
        // server never sees it first (nor answers NOT_FOUND when the subscribe was retried).
        if (presence !== null || presenceOwed) sendPresence()
        presenceOwed = false
      },
    })
    send(frame)
  }

  // Sent again after RATE_LIMITED with the state of the moment, unless the topic was left meanwhile.
  function sendPresence(): void {
    const frame = { type: 'setPresence' as const, id: nextId(), topic, state: presence }
    const sentWith = latest
    answers.add(frame.id, {
      answer(answer) {
        if (answer.type !== 'error' || !isRetryLater(answer.code)) return
        answers.retryLater(answer.retryAfterMs ?? 1000, () => {
          if (latest === sentWith) sendPresence()
        })
      },
    })
    send(frame)
  }

  return {
    get phase(): ServerPhase {
      return phase
    },
    /** A subscribe from the head is on its way: frames of the flow it replaces no longer count. */
    get restarting(): boolean {
      return fromHead && latest !== undefined
    },

    /** Subscribes (again) with what the stores want now; on the next open when not connected. */
    subscribe,
    /** Subscribes again when the stores' filters or presence flag changed what the server must hold. */
    update(): void {
      if (keyOf(deps.wish()) !== key) subscribe()
    },
    /** Subscribes from the head, forgetting the position (a snapshot or a load replaces the state). */
    restart(): void {
      fromHead = true
      subscribe()
    },
    /** An announced frame of the flow arrived (or one nobody announced): the flow moves on. */
    arrived(type: 'resync' | 'snapshot'): void {
      if (type === 'resync' && phase === 'resync-follows') move(flow?.snapshot ? 'snapshot-follows' : 'live')
      if (type === 'snapshot' && phase === 'snapshot-follows') move('live')
    },
    /** The server ended the subscription itself (an `unsubscribed` with a reason). */
    ended(): void {
      latest = undefined
      move('refused')
    },
    /** The connection is gone: nothing is subscribed any more (a refused topic stays refused). */
    drop(): void {
      latest = undefined
      presenceOwed = false
      if (phase !== 'refused') move('down')
    },
    /** The last store left: ends the server subscription. */
    leave(): void {
      latest = undefined
      move('down')
    },

    /** Sets this client's presence state on the topic (null leaves), now or with the next `subscribed`. */
    setPresence(state: JsonObject | null): void {
      presence = state
      if (phase === 'down' || phase === 'subscribing' || phase === 'refused') presenceOwed = true
      else sendPresence()
    },
  }
}

export type ServerSubscription = ReturnType<typeof createServerSubscription>
