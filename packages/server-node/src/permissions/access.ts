import type { Identity } from '../identity'

/** A claim value an {@link Access} can compare with. */
export type ClaimValue = string | number | boolean

/**
 * Who may do something, in a rule or a procedure's `guard`:
 * - `'anyone'`: every connection, anonymous ones included;
 * - `'authenticated'`: any connection with an identity;
 * - `'owner'`: the identity whose id is the topic's `{sub}` segment (the pattern must name `{sub}`);
 * - `'nobody'`;
 * - `{ claim }`: identities whose claim is set (not false, null, '' or []); with `equals`, whose
 *   claim is that value or one of those values (an array claim, such as roles, must contain one);
 * - an array: any of these.
 */
export type Access =
  | 'anyone'
  | 'authenticated'
  | 'owner'
  | 'nobody'
  | { claim: string; equals?: ClaimValue | ClaimValue[] }
  | readonly Access[]

const NAMED = new Set(['anyone', 'authenticated', 'owner', 'nobody'])

/**
 * Checks an access value's shape once, when the rules are compiled, so a typo in a config file
 * fails at start naming where it is instead of denying (or allowing) at run time.
 * @param where names the rule field in the message, e.g. `rules[2].publish`
 * @param owner whether `'owner'` is meaningful here (the pattern names `{sub}`)
 */
export function checkAccess(access: unknown, where: string, owner: boolean): Access {
  if (Array.isArray(access)) {
    access.forEach((item, index) => {
      checkAccess(item, `${where}[${index}]`, owner)
    })
    return access as Access
  }
  if (typeof access === 'string') {
    if (!NAMED.has(access)) {
      throw new TypeError(
        `${where} must be 'anyone', 'authenticated', 'owner', 'nobody', { claim } or a list of them, received ${JSON.stringify(access)}`,
      )
    }
    if (access === 'owner' && !owner) {
      throw new TypeError(`${where} is 'owner' but the pattern has no {sub} segment naming the owner`)
    }
    return access as Access
  }
  if (
    typeof access === 'object' &&
    access !== null &&
    typeof (access as { claim?: unknown }).claim === 'string'
  ) {
    const { equals } = access as { equals?: unknown }
    const values = Array.isArray(equals) ? equals : equals === undefined ? [] : [equals]
    for (const value of values) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new TypeError(`${where}.equals must be a string, number or boolean, or a list of them`)
      }
    }
    return access as Access
  }
  throw new TypeError(
    `${where} must be an access value ('anyone', 'authenticated', 'owner', 'nobody', { claim }), received ${JSON.stringify(access)}`,
  )
}

/**
 * Whether `identity` is granted by `access`.
 * @param owner the topic's `{sub}` segment, when the pattern has one
 */
export function grants(access: Access, identity: Identity | null, owner: string | undefined): boolean {
  if (Array.isArray(access)) return access.some((item) => grants(item, identity, owner))
  switch (access) {
    case 'anyone':
      return true
    case 'authenticated':
      return identity !== null
    case 'owner':
      return identity !== null && owner !== undefined && owner !== '' && identity.id === owner
    case 'nobody':
      return false
  }
  if (identity === null) return false
  const { claim, equals } = access as { claim: string; equals?: ClaimValue | ClaimValue[] }
  const value = identity.claims?.[claim]
  if (equals === undefined) {
    return value !== undefined && value !== null && value !== false && value !== '' && !isEmptyArray(value)
  }
  const wanted = Array.isArray(equals) ? equals : [equals]
  if (Array.isArray(value)) return value.some((item) => wanted.includes(item as ClaimValue))
  return wanted.includes(value as ClaimValue)
}

function isEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0
}
