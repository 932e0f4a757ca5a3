import type { PresenceMember } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { presence } from './presence'
import { ev, snap } from './test-events'

const member = (
  connectionId: string,
  identity: string | null,
  state?: { typing: boolean },
): PresenceMember => ({
  connectionId,
  identity,
  ...(state && { state }),
})

describe('presence', () => {
  it('applies join, update and leave by connectionId', () => {
    const merge = presence()
    const state = merge.apply(merge.initial(), [
      ev('join', member('c1', 'ann')),
      ev('join', member('c2', 'bob')),
      ev('update', member('c1', 'ann', { typing: true })),
      ev('leave', member('c2', 'bob')),
    ])
    expect(state.items).toEqual([member('c1', 'ann', { typing: true })])
  })

  it('starts from a sync frame or its members, and ignores other kinds', () => {
    const merge = presence()
    const synced = snap(merge, {
      type: 'presence',
      topic: 't',
      action: 'sync',
      members: [member('c1', null)],
    })
    expect(synced.items).toEqual([member('c1', null)])
    expect(snap(merge, [member('c9', 'x')]).items).toEqual([member('c9', 'x')])
    expect(merge.apply(synced, [ev('created', member('c2', null)), ev('leave', member('c3', null))])).toBe(
      synced,
    )
  })

  it('keys by another property when asked', () => {
    const merge = presence<PresenceMember>({ key: (m) => m.identity ?? m.connectionId })
    const state = merge.apply(merge.initial(), [
      ev('join', member('c1', 'ann')),
      ev('join', member('c2', 'ann')),
    ])
    expect(state.items).toEqual([member('c2', 'ann')])
  })
})
