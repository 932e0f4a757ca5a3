/**
 * Command ids: a random per-client prefix and a counter. The prefix keeps publish ids unique
 * across clients and page reloads, which the server's publish dedup relies on.
 */
export function createIdGenerator(random: () => number) {
  // Up to 10 base-36 digits of one draw: about 52 random bits, as many as a double holds.
  const prefix = random().toString(36).slice(2, 12)
  let counter = 0
  return (): string => `${prefix}-${++counter}`
}
