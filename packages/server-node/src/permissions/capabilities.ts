import type { Identity } from '../identity'
import { ServerError } from '../server-error'
import { compilePattern, type NamePattern } from './pattern'
import type { TopicAction } from './rules'

/**
 * Capabilities a token carries, by topic pattern: a backend mints a token that may do exactly
 * this and nothing else, without server code. Patterns are those of topic rules; `{sub}` must be
 * the token's own subject.
 *
 * @example
 * { "doc:42": ["subscribe"], "chat:*": ["subscribe", "publish", "presence"], "user:{sub}:**": ["subscribe"] }
 */
export type Capabilities = Record<string, TopicAction[]>

const ACTIONS: readonly string[] = ['subscribe', 'publish', 'presence']

/** A token's capabilities, compiled. */
export class CapabilitySet {
  readonly #entries: Array<{ pattern: NamePattern; actions: ReadonlySet<string> }>

  constructor(entries: Array<{ pattern: NamePattern; actions: ReadonlySet<string> }>) {
    this.#entries = entries
  }

  allows(identity: Identity, topic: string, action: TopicAction): boolean {
    for (const { pattern, actions } of this.#entries) {
      if (!actions.has(action)) continue
      const owner = pattern.match(topic)
      if (owner === undefined) continue
      if (pattern.hasSub && owner !== identity.id) continue
      return true
    }
    return false
  }
}

// Identities are kept by their connection; compiling once per identity object is enough.
const compiled = new WeakMap<Identity, CapabilitySet | null>()

/**
 * The capabilities in an identity's claim, or null when it carries none (the rules decide).
 * @throws ServerError UNAUTHORIZED when the claim is there but malformed: a token that meant to
 *   restrict its holder must never fall back to the rules and get more than its issuer gave.
 */
export function capabilitiesOf(identity: Identity | null, claim: string): CapabilitySet | null {
  if (identity === null) return null
  const known = compiled.get(identity)
  if (known !== undefined) return known
  const value = identity.claims?.[claim]
  const set = value === undefined ? null : compile(value, claim)
  compiled.set(identity, set)
  return set
}

function compile(value: unknown, claim: string): CapabilitySet {
  const malformed = (detail: string) =>
    new ServerError('UNAUTHORIZED', `the token's ${claim} claim is malformed: ${detail}`)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('it must be an object of topic pattern → list of actions')
  }
  const entries: Array<{ pattern: NamePattern; actions: ReadonlySet<string> }> = []
  for (const [source, actions] of Object.entries(value)) {
    if (!Array.isArray(actions) || actions.some((action) => !ACTIONS.includes(action))) {
      throw malformed(`${JSON.stringify(source)} must list actions among ${ACTIONS.join(', ')}`)
    }
    let pattern: NamePattern
    try {
      pattern = compilePattern(source, ':')
    } catch (error) {
      throw malformed((error as Error).message)
    }
    entries.push({ pattern, actions: new Set(actions) })
  }
  return new CapabilitySet(entries)
}
