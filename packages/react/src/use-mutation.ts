import type { ClientError } from '@sluice/client'
import { useCallback, useRef, useState } from 'react'

/** The state of a {@link usePublish} or {@link useCall}, like TanStack Query's mutation state. */
export interface MutationState<TResult> {
  /** The latest run has not settled yet. */
  isPending: boolean
  /** Why the latest run failed (the client rejects with `ClientError` only); null otherwise. */
  error: ClientError | null
  /** The result of the last successful run, kept while a new one is pending; undefined before any. */
  data: TResult | undefined
}

const IDLE: MutationState<never> = { isPending: false, error: null, data: undefined }

/** What the internal {@link useMutation} gives its hook. */
export interface Mutation<TArgs extends unknown[], TResult> extends MutationState<TResult> {
  /** Runs and resolves with the result, or rejects with the error (also set as `error`). */
  runAsync(...args: TArgs): Promise<TResult>
  /** Runs without a promise to handle: the outcome is only in the state (for event handlers). */
  run(...args: TArgs): void
  /** Back to the idle state; a run still in flight no longer changes it. */
  reset(): void
}

/**
 * Mutation state around `perform`. Only the latest run writes the state, so an older publish
 * that settles late does not overwrite a newer one's outcome. `perform` must be stable while its
 * inputs are (a useCallback of the hook's client and target).
 */
export function useMutation<TArgs extends unknown[], TResult>(
  perform: (...args: TArgs) => Promise<TResult>,
): Mutation<TArgs, TResult> {
  const [state, setState] = useState<MutationState<TResult>>(IDLE)
  const latest = useRef(0)
  const runAsync = useCallback(
    async (...args: TArgs): Promise<TResult> => {
      const run = ++latest.current
      setState((previous) => ({ isPending: true, error: null, data: previous.data }))
      try {
        const data = await perform(...args)
        if (run === latest.current) setState({ isPending: false, error: null, data })
        return data
      } catch (error) {
        if (run === latest.current) {
          setState((previous) => ({ isPending: false, error: error as ClientError, data: previous.data }))
        }
        throw error
      }
    },
    [perform],
  )
  const run = useCallback(
    (...args: TArgs): void => {
      // The error is in the state; the caller chose not to handle the promise.
      runAsync(...args).catch(() => {})
    },
    [runAsync],
  )
  const reset = useCallback(() => {
    latest.current++
    setState(IDLE)
  }, [])
  return { ...state, runAsync, run, reset }
}
