/**
 * Command ids: a random per-client prefix and a counter. The prefix keeps publish ids unique
 * across clients and page reloads, which the server's publish dedup relies on.
 */
export function createIdGenerator(random: () => number) {
  let prefix = ''
  for (let i = 0; i < 10; i++) prefix += ((random() * 36) | 0).toString(36)
  let counter = 0
  return (): string => `${prefix}-${(++counter).toString(36)}`
}
