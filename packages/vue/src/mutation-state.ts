import { type Ref, type ShallowRef, shallowRef } from 'vue'

/** The state of a write (a publish, a call), shaped like TanStack Query's `useMutation`. */
export interface MutationState<TResult> {
  /** True from a run until the latest one settles. */
  readonly isPending: Readonly<Ref<boolean>>
  /** Why the latest run failed (usually a `ClientError` with a `code`); null while pending or after a success. */
  readonly error: Readonly<ShallowRef<Error | null>>
  /** The latest successful result; undefined before the first and after `reset()`. */
  readonly data: Readonly<ShallowRef<TResult | undefined>>
  /** Back to the initial state; runs still in flight no longer change it when they settle. */
  reset(): void
}

/**
 * Wraps `run` so each call is tracked in refs. Only the latest call writes its outcome: an
 * earlier one that settles later would otherwise show a result the user has since replaced.
 * The wrapped function never rejects (it resolves undefined on failure, with the reason in
 * `error`), so a template handler like `@click="publish(event)"` leaves no unhandled rejection.
 */
export function mutationState<TArgs extends unknown[], TResult>(
  run: (...args: TArgs) => Promise<TResult>,
): MutationState<TResult> & { mutate: (...args: TArgs) => Promise<TResult | undefined> } {
  const isPending = shallowRef(false)
  const error = shallowRef<Error | null>(null)
  const data = shallowRef<TResult | undefined>(undefined)
  let latest = 0

  async function mutate(...args: TArgs): Promise<TResult | undefined> {
    const id = ++latest
    isPending.value = true
    error.value = null
    try {
      const result = await run(...args)
      if (id === latest) data.value = result
      return result
    } catch (reason) {
      if (id === latest) error.value = reason instanceof Error ? reason : new Error(String(reason))
      return undefined
    } finally {
      if (id === latest) isPending.value = false
    }
  }

  return {
    mutate,
    isPending,
    error,
    data,
    reset() {
      latest++
      isPending.value = false
      error.value = null
      data.value = undefined
    },
  }
}
