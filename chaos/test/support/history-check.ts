/**
 * The history check of one store, against what the server acknowledged. It accepts exactly:
 *
 * - every event at most once and in order: within an epoch, each event is the one after the
 *   last (a skipped seq is a loss, a repeated or lower one a duplicate or reordering), and the
 *   same publish is never applied twice between two (re)loads of the store;
 * - the event at each acknowledged position is the publish the server acknowledged there;
 * - a change of epoch, or any jump, only through a resync reported to the store with a reason,
 *   followed by a reload at the position the server gave (never backwards);
 * - an acknowledged event the store never got only when a (re)load covers it: the load's
 *   position is at or past it in its epoch, or a resync moved the store from before it to a
 *   later epoch (the log it was in was lost with a restart). Publishes acknowledged before a
 *   kill and lost with the log are acceptable only that way.
 *
 * A publish whose acknowledgement was lost (the server died first) is retried with the same id
 * and may land again in the new epoch: the store may then apply it once in each epoch, with the
 * resync between them. That is counted (`reappended`), not a violation: the resync told the app
 * its state was replaced.
 */
import type { ResyncReason } from '@sluice/protocol'
import type { HistoryEntry, StoreHistory } from './recorded-store'

/** What the server acknowledged on one topic, gathered by the publisher. */
export interface TopicTruth {
  /** The topic's epochs in the order the server's lives had them. */
  epochs: string[]
  /** Acknowledged positions: `${epoch}:${seq}` → publish id. */
  acked: Map<string, string>
  /** Where each acknowledged publish id landed (`${epoch}:${seq}`). */
  ackedAt: Map<string, string>
  /** Every publish id sent, acknowledged or not. */
  sent: Set<string>
}

export interface HistoryVerdict {
  /** Empty when the history is acceptable. */
  violations: string[]
  /** Events applied. */
  delivered: number
  /** The reasons of the resyncs reported to the store, in order. */
  resyncs: ResyncReason[]
  /** The epochs of the store's (re)loads, in order. */
  loadEpochs: string[]
  /** Acknowledged events the store did not get, each covered by a (re)load. */
  covered: number
  /** Publishes applied in two epochs (their first append lost its acknowledgement with a kill). */
  reappended: number
}

const REASONS: readonly ResyncReason[] = ['too_old', 'epoch_changed', 'ahead']
// One broken invariant tends to break every later entry: the first few say what happened.
const MAX_REPORTED = 12

type Position = { epoch: string; seq: number }
const at = (p: Position) => `${p.epoch}:${p.seq}`

export function checkHistory(history: StoreHistory, truth: TopicTruth): HistoryVerdict {
  const violations: string[] = []
  const fail = (index: number, message: string) => {
    violations.push(`${history.name} entry ${index}: ${message}`)
  }
  const epochIndex = (epoch: string) => truth.epochs.indexOf(epoch)
  const loads: Position[] = []
  const jumps: Array<{ from: Position; to: Position }> = []
  const resyncs: ResyncReason[] = []
  const delivered = new Set<string>()
  const applied = new Set<string>()
  // `${id} ${epoch}` → where that publish was applied in that epoch.
  const landedIn = new Map<string, string>()
  let segment = new Set<string>()
  let cursor: Position | null = null
  let awaitingLoad = false
  let reappended = 0

  const onLoad = (index: number, entry: Position) => {
    const epochAt = epochIndex(entry.epoch)
    if (epochAt < 0)
      fail(index, `loaded in epoch ${entry.epoch}, which the server never acknowledged a publish in`)
    if (cursor) {
      if (!awaitingLoad) fail(index, `reloaded at ${at(entry)} without a resync`)
      const from = epochIndex(cursor.epoch)
      if (epochAt < from || (epochAt === from && entry.seq < cursor.seq)) {
        fail(index, `went back from ${at(cursor)} to ${at(entry)}`)
      }
      jumps.push({ from: cursor, to: entry })
    }
    loads.push(entry)
    cursor = { epoch: entry.epoch, seq: entry.seq }
    awaitingLoad = false
    segment = new Set()
  }

  const onEvent = (index: number, entry: Extract<HistoryEntry, { type: 'event' }>) => {
    const position = at(entry)
    if (!cursor) fail(index, `${position} applied before the store's first load`)
    else if (awaitingLoad) fail(index, `${position} applied after a resync, before the store reloaded`)
    else if (entry.epoch !== cursor.epoch)
      fail(index, `${position} applied at ${at(cursor)} without a resync`)
    else if (entry.seq <= cursor.seq) fail(index, `${position} repeated or out of order after ${at(cursor)}`)
    else if (entry.seq > cursor.seq + 1) {
      fail(index, `lost ${entry.epoch}:${cursor.seq + 1}..${entry.seq - 1}: skipped without a resync`)
    }
    const expected = truth.acked.get(position)
    if (expected !== undefined && expected !== entry.id) {
      fail(index, `${position} is ${entry.id}, but the server acknowledged ${expected} there`)
    }
    if (!truth.sent.has(entry.id)) fail(index, `${position} is ${entry.id}, which nobody published`)
    const ackedAt = truth.ackedAt.get(entry.id)
    const sameEpoch =
      landedIn.get(`${entry.id} ${entry.epoch}`) ?? (ackedAt?.startsWith(`${entry.epoch}:`) && ackedAt)
    if (sameEpoch && sameEpoch !== position) {
      fail(index, `${entry.id} landed at ${position} and at ${sameEpoch}: appended twice in one epoch`)
    }
    landedIn.set(`${entry.id} ${entry.epoch}`, position)
    if (segment.has(entry.id)) fail(index, `${entry.id} applied twice (again at ${position})`)
    else if (applied.has(entry.id)) reappended++
    segment.add(entry.id)
    applied.add(entry.id)
    delivered.add(position)
    cursor = { epoch: entry.epoch, seq: entry.seq }
  }

  history.entries.forEach((entry, index) => {
    if (entry.type === 'load') onLoad(index, entry)
    else if (entry.type === 'event') onEvent(index, entry)
    else {
      if (!REASONS.includes(entry.reason))
        fail(index, `a resync without a known reason (${String(entry.reason)})`)
      if (!cursor) fail(index, 'a resync before the first load')
      resyncs.push(entry.reason)
      awaitingLoad = true
    }
  })

  // Every acknowledged event since the store's first load reached it, or a (re)load covers it.
  let covered = 0
  const first = loads[0]
  if (first) {
    const firstEpoch = epochIndex(first.epoch)
    for (const [position, id] of truth.acked) {
      if (delivered.has(position)) continue
      const split = position.lastIndexOf(':')
      const epoch = position.slice(0, split)
      const seq = Number(position.slice(split + 1))
      const epochAt = epochIndex(epoch)
      // Published before this store subscribed: its first load stands for it, or it is older.
      if (epochAt < firstEpoch) continue
      const inLoad = loads.some((load) => load.epoch === epoch && load.seq >= seq)
      const lostWithLog = jumps.some(
        ({ from, to }) =>
          epochIndex(from.epoch) <= epochAt &&
          epochAt < epochIndex(to.epoch) &&
          (from.epoch !== epoch || from.seq < seq),
      )
      if (inLoad || lostWithLog) covered++
      else
        violations.push(
          `${history.name}: ${position} (${id}) was acknowledged, never applied, and no resync covers it`,
        )
    }
  } else {
    violations.push(`${history.name}: the store never loaded`)
  }

  const shown =
    violations.length > MAX_REPORTED
      ? [
          ...violations.slice(0, MAX_REPORTED),
          `${history.name}: … and ${violations.length - MAX_REPORTED} more`,
        ]
      : violations
  return {
    violations: shown,
    delivered: delivered.size,
    resyncs,
    loadEpochs: loads.map((load) => load.epoch),
    covered,
    reappended,
  }
}
