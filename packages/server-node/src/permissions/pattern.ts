/**
 * A compiled name pattern: topic patterns such as `chat:*` or `user:{sub}:**`, procedure
 * patterns such as `todos.*`. Names are split in segments by a separator (`:` for topics, `.`
 * for procedures); everything else in a pattern is literal.
 *
 * - `*` matches one segment (one or more characters, no separator);
 * - `**`, only as the last segment, matches one or more segments;
 * - `{sub}` matches one segment and captures it: rules compare it with the caller's id (`owner`),
 *   capabilities require it to be the caller's id.
 */
export interface NamePattern {
  readonly source: string
  /** Whether the pattern names `{sub}`. */
  readonly hasSub: boolean
  /** The captured `{sub}` segment ('' when the pattern has none), or undefined when the name does not match. */
  match(name: string): string | undefined
}

const PLACEHOLDER = /^\{([^{}]*)\}$/

/**
 * Compiles a pattern once; matching is one regular expression test.
 * @throws TypeError naming the pattern and what is wrong with it
 *
 * @example
 * compilePattern('user:{sub}:**', ':').match('user:42:inbox') // '42'
 * compilePattern('chat:*', ':').match('chat:a:b') // undefined (one segment only)
 */
export function compilePattern(pattern: string, separator: ':' | '.'): NamePattern {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new TypeError(`a pattern must be a non-empty string, received ${JSON.stringify(pattern)}`)
  }
  const segments = pattern.split(separator)
  const one = `[^${escapeRegExp(separator)}]+`
  let hasSub = false
  const parts = segments.map((segment, index) => {
    if (segment === '**') {
      if (index !== segments.length - 1) {
        throw new TypeError(`pattern ${JSON.stringify(pattern)}: ** may only be the last segment`)
      }
      return '.+'
    }
    if (segment === '*') return one
    const placeholder = PLACEHOLDER.exec(segment)
    if (placeholder) {
      if (placeholder[1] !== 'sub') {
        throw new TypeError(
          `pattern ${JSON.stringify(pattern)}: {${placeholder[1]}} is not a placeholder; only {sub} (the caller's id) is`,
        )
      }
      if (hasSub) throw new TypeError(`pattern ${JSON.stringify(pattern)}: {sub} may appear once`)
      hasSub = true
      return `(${one})`
    }
    if (segment === '') {
      throw new TypeError(`pattern ${JSON.stringify(pattern)} has an empty segment`)
    }
    if (/[*{}]/.test(segment)) {
      throw new TypeError(
        `pattern ${JSON.stringify(pattern)}: * and {sub} must be a whole segment, not part of ${JSON.stringify(segment)}`,
      )
    }
    return escapeRegExp(segment)
  })
  const regex = new RegExp(`^${parts.join(escapeRegExp(separator))}$`)
  return {
    source: pattern,
    hasSub,
    match(name) {
      const found = regex.exec(name)
      if (found === null) return undefined
      return found[1] ?? ''
    },
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
