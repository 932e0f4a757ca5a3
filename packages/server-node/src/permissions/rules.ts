import type { Retention } from '../engine/types'
import type { Identity } from '../identity'
import { type Access, checkAccess, grants } from './access'
import { compilePattern, type NamePattern } from './pattern'

/** What a topic rule or a capability can allow on a topic. `presence` is joining the topic's presence. */
export type TopicAction = 'subscribe' | 'publish' | 'presence'

/**
 * Who may do what on the topics a pattern matches (a namespace). The first rule whose pattern
 * matches a topic is the topic's rule; a topic no rule matches is refused. Omitted actions are
 * refused, except `presence`, which follows `subscribe`.
 *
 * @example
 * { topic: 'chat:*', subscribe: 'authenticated', publish: 'authenticated', history: { maxEvents: 500 } }
 * { topic: 'user:{sub}:**', subscribe: 'owner' }
 * { topic: 'admin:**', subscribe: { claim: 'role', equals: 'admin' } }
 */
export interface TopicRule {
  /** Topic pattern: segments split by `:`; `*` one segment, `**` (last) the rest, `{sub}` the owner's id. */
  topic: string
  /** Who may subscribe (and replay). @default 'nobody' */
  subscribe?: Access
  /** Who may publish from a client connection. @default 'nobody' */
  publish?: Access
  /** Who may join the topic's presence, or false to turn presence off for these topics. @default the `subscribe` access */
  presence?: Access | false
  /** How much of each topic's log is kept for replay; the engine's defaults otherwise. */
  history?: Retention
}

/** Who may call the procedures a name pattern matches (segments split by `.`: `todos.*`). */
export interface ProcedureRule {
  procedure: string
  call: Access
}

/** One entry of the `rules` option: a topic rule or a procedure rule. */
export type Rule = TopicRule | ProcedureRule

interface CompiledTopicRule {
  pattern: NamePattern
  subscribe: Access
  publish: Access
  presence: Access | false
  history: Retention | undefined
}

/** The topic verdict before the app's `authorize` (if any) has its say. */
export interface TopicVerdict {
  allowed: boolean
  /** Why it was refused, for the error message. */
  reason?: string
}

/**
 * The `rules` option, compiled once: the one place that says what a connection may do on a
 * topic and which procedures it may call. With no topic rules at all, the defaults hold:
 * anyone may subscribe and join presence, nobody may publish from a client.
 */
export class Rules {
  readonly #topics: CompiledTopicRule[] = []
  readonly #procedures: Array<{ pattern: NamePattern; call: Access }> = []

  constructor(rules: readonly Rule[] = []) {
    if (!Array.isArray(rules)) throw new TypeError('rules must be an array of topic and procedure rules')
    rules.forEach((rule, index) => {
      const where = `rules[${index}]`
      if (typeof rule !== 'object' || rule === null) throw new TypeError(`${where} must be an object`)
      const has = (key: string) => Object.hasOwn(rule, key)
      if (has('topic') === has('procedure')) {
        throw new TypeError(
          `${where} must have exactly one of \`topic\` (a topic rule) or \`procedure\` (a procedure rule)`,
        )
      }
      if (has('procedure')) this.#procedures.push(compileProcedureRule(rule as ProcedureRule, where))
      else this.#topics.push(compileTopicRule(rule as TopicRule, where))
    })
  }

  /** Whether any topic rule was given (otherwise the defaults apply). */
  get hasTopicRules(): boolean {
    return this.#topics.length > 0
  }

  /** The rules' verdict on an action on a topic, for a connection without capabilities. */
  topic(identity: Identity | null, topic: string, action: TopicAction): TopicVerdict {
    if (this.#topics.length === 0) {
      return action === 'publish'
        ? { allowed: false, reason: 'client publishes are refused unless a rule allows them' }
        : { allowed: true }
    }
    const found = this.#ruleOf(topic)
    if (found === undefined) return { allowed: false, reason: 'no rule matches the topic' }
    const { rule, owner } = found
    if (action === 'presence') {
      if (rule.presence === false) return { allowed: false, reason: 'presence is off for the topic' }
      return verdict(grants(rule.presence, identity, owner), rule, action)
    }
    return verdict(grants(rule[action], identity, owner), rule, action)
  }

  /** Whether any topic rule sets `history`. */
  get hasRetention(): boolean {
    return this.#topics.some((rule) => rule.history !== undefined)
  }

  /** Whether presence is on for a topic (a rule with `presence: false` turns it off). */
  presenceOn(topic: string): boolean {
    return this.#ruleOf(topic)?.rule.presence !== false
  }

  /** The retention of a topic's rule, if it sets one. */
  retention(topic: string): Retention | undefined {
    return this.#ruleOf(topic)?.rule.history
  }

  /** The access of the first procedure rule matching a name, or undefined when none does. */
  procedure(name: string): Access | undefined {
    for (const rule of this.#procedures) {
      if (rule.pattern.match(name) !== undefined) return rule.call
    }
    return undefined
  }

  #ruleOf(topic: string): { rule: CompiledTopicRule; owner: string } | undefined {
    for (const rule of this.#topics) {
      const owner = rule.pattern.match(topic)
      if (owner !== undefined) return { rule, owner }
    }
    return undefined
  }
}

function verdict(allowed: boolean, rule: CompiledTopicRule, action: TopicAction): TopicVerdict {
  return allowed
    ? { allowed }
    : { allowed, reason: `the rule ${rule.pattern.source} does not allow ${action}` }
}

const TOPIC_RULE_KEYS = new Set(['topic', 'subscribe', 'publish', 'presence', 'history'])

function compileTopicRule(rule: TopicRule, where: string): CompiledTopicRule {
  for (const key of Object.keys(rule)) {
    if (!TOPIC_RULE_KEYS.has(key)) {
      throw new TypeError(
        `${where} has an unknown field ${JSON.stringify(key)} (a topic rule has ${[...TOPIC_RULE_KEYS].join(', ')})`,
      )
    }
  }
  const pattern = named(() => compilePattern(rule.topic, ':'), `${where}.topic`)
  const subscribe = checkAccess(rule.subscribe ?? 'nobody', `${where}.subscribe`, pattern.hasSub)
  const publish = checkAccess(rule.publish ?? 'nobody', `${where}.publish`, pattern.hasSub)
  const presence =
    rule.presence === undefined
      ? subscribe
      : rule.presence === false
        ? false
        : checkAccess(rule.presence, `${where}.presence`, pattern.hasSub)
  return { pattern, subscribe, publish, presence, history: checkRetention(rule.history, `${where}.history`) }
}

function compileProcedureRule(rule: ProcedureRule, where: string): { pattern: NamePattern; call: Access } {
  const pattern = named(() => compilePattern(rule.procedure, '.'), `${where}.procedure`)
  if (rule.call === undefined)
    throw new TypeError(`${where}.call is required: who may call ${rule.procedure}`)
  return { pattern, call: checkAccess(rule.call, `${where}.call`, false) }
}

function checkRetention(history: unknown, where: string): Retention | undefined {
  if (history === undefined) return undefined
  if (typeof history !== 'object' || history === null)
    throw new TypeError(`${where} must be { maxEvents?, maxAgeMs? }`)
  const { maxEvents, maxAgeMs, ...rest } = history as Retention
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new TypeError(`${where} has an unknown field ${JSON.stringify(unknown[0])}`)
  if (maxEvents !== undefined && !(Number.isInteger(maxEvents) && maxEvents >= 1)) {
    throw new TypeError(`${where}.maxEvents must be an integer ≥ 1, received ${JSON.stringify(maxEvents)}`)
  }
  if (maxAgeMs !== undefined && !(typeof maxAgeMs === 'number' && maxAgeMs > 0)) {
    throw new TypeError(
      `${where}.maxAgeMs must be a positive number of ms, received ${JSON.stringify(maxAgeMs)}`,
    )
  }
  return history as Retention
}

// Prefixes a pattern error with where the pattern sits in the rules.
function named<T>(compile: () => T, where: string): T {
  try {
    return compile()
  } catch (error) {
    throw new TypeError(`${where}: ${(error as Error).message}`)
  }
}
