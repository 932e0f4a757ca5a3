/**
 * The suite's two sizes. The default run is part of `npm test` and must stay within a few
 * minutes on a 2-core machine; `SLUICE_CHAOS_LONG=1` runs every scenario longer and bigger and
 * writes its figures to docs/RELIABILITY.md (a default run never rewrites the doc).
 */
export const LONG = process.env.SLUICE_CHAOS_LONG === '1'

/** `short` in the default run, `long` with SLUICE_CHAOS_LONG=1. */
export const sized = <T>(short: T, long: T): T => (LONG ? long : short)
