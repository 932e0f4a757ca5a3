import { describe, expect, it } from 'vitest'
import { planBatch } from './batch-plan'

const rows = (...ids: number[]) => ids.map((id) => ({ id: BigInt(id) }))

describe('planBatch', () => {
  it('publishes consecutive ids and clears no gap', () => {
    expect(planBatch(rows(5, 6, 7), 4n, undefined, 100n)).toEqual({
      publish: rows(5, 6, 7),
      blocked: undefined,
      gap: 'clear',
    })
  })

  it('stops at a hole and asks for a new gap below the row after it', () => {
    expect(planBatch(rows(5, 7, 8), 4n, undefined, 100n)).toEqual({
      publish: rows(5),
      blocked: { missing: 6n, next: 7n },
      gap: { below: 7n },
    })
  })

  it('keeps waiting while the gap is open (xmin not past its horizon)', () => {
    const gap = { below: 7n, horizon: 100n }
    expect(planBatch(rows(7, 8), 5n, gap, 100n)).toEqual({
      publish: [],
      blocked: { missing: 6n, next: 7n },
      gap: 'keep',
    })
  })

  it('passes the hole once xmin is past the horizon, and clears the gap behind it', () => {
    const gap = { below: 7n, horizon: 100n }
    expect(planBatch(rows(7, 8), 5n, gap, 101n)).toEqual({
      publish: rows(7, 8),
      blocked: undefined,
      gap: 'clear',
    })
  })

  it('publishes the missing row when it shows up, whatever the gap says', () => {
    const gap = { below: 7n, horizon: 100n }
    expect(planBatch(rows(6, 7, 8), 5n, gap, 50n)).toEqual({
      publish: rows(6, 7, 8),
      blocked: undefined,
      gap: 'clear',
    })
  })

  it('a resolved gap covers only ids below its row: a later hole needs a new horizon', () => {
    const gap = { below: 7n, horizon: 100n }
    expect(planBatch(rows(7, 9), 5n, gap, 101n)).toEqual({
      publish: rows(7),
      blocked: { missing: 8n, next: 9n },
      gap: { below: 9n },
    })
  })

  it('an open gap does not cover a hole beyond its row (that row was deleted): a new horizon', () => {
    const gap = { below: 7n, horizon: 100n }
    expect(planBatch(rows(9), 5n, gap, 90n)).toEqual({
      publish: [],
      blocked: { missing: 6n, next: 9n },
      gap: { below: 9n },
    })
  })

  it('keeps a gap whose row has not been reached when nothing blocks (an empty read)', () => {
    const gap = { below: 7n, horizon: 100n }
    expect(planBatch([], 5n, gap, 90n)).toEqual({ publish: [], blocked: undefined, gap: 'keep' })
    expect(planBatch([], 5n, undefined, 90n)).toEqual({ publish: [], blocked: undefined, gap: 'clear' })
  })
})
