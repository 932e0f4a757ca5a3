import { expect, it } from 'vitest'
import { createSourceState, type SourceTransition } from './source-state'

it('moves only along the table and tells every move', () => {
  const seen: SourceTransition[] = []
  const state = createSourceState((transition) => seen.push(transition))
  expect(state.transition('live', 'reading')).toBe(true)
  expect(state.transition('standby', 'too late')).toBe(false)
  expect(state.transition('reconnecting', 'lost')).toBe(true)
  expect(state.transition('live', 'skipping connecting')).toBe(false)
  expect(state.transition('stopped', 'stop')).toBe(true)
  expect(state.transition('connecting', 'after stop')).toBe(false)
  expect(state.current).toBe('stopped')
  expect(seen).toEqual([
    { from: 'connecting', to: 'live', reason: 'reading' },
    { from: 'live', to: 'reconnecting', reason: 'lost' },
    { from: 'reconnecting', to: 'stopped', reason: 'stop' },
  ])
})

it('survives a throwing listener', () => {
  const state = createSourceState(() => {
    throw new Error('listener bug')
  })
  expect(state.transition('live', 'reading')).toBe(true)
  expect(state.current).toBe('live')
})
