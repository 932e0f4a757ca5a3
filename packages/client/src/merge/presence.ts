import type { PresenceMember } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'
import { type KeyOption, keyReader, strategyKey } from './key'
import { type KeyedList, keyedListStrategy } from './keyed-list'

/** The state of a {@link presence} store: members in order of arrival, and where each key sits. */
export type PresenceState<T> = KeyedList<T>

/** Options of {@link presence}. */
export interface PresenceOptions<T> {
  /** The member property (or a function) naming a member. @default 'connectionId' */
  key?: KeyOption<T>
}

/**
 * Who is here: `join` adds a member (or replaces one with the same key), `update` replaces
 * it, `leave` removes it. A snapshot is a presence `sync` frame or its `members` array.
 * Members are keyed by connection, so one user with two tabs is two members.
 *
 * @example
 * const here = client.subscribe('doc:7', { merge: presence() })
 * here.$state.get().data.items.map((member) => member.identity)
 */
/* @__NO_SIDE_EFFECTS__ */
export function presence<T = PresenceMember>(
  options: PresenceOptions<T> = {},
): MergeStrategy<PresenceState<T>> {
  const { key = 'connectionId' } = options
  return keyedListStrategy(
    { keyOf: keyReader<T>(key), kinds: ['join', 'update', 'leave'] },
    'members',
    'presence',
    strategyKey('presence', key),
  )
}
