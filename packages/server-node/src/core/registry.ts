import type { Connection } from './connection'

/** Open connections by id and by identity, and the slots reserved by connects still authenticating. */
export class ConnectionRegistry {
  readonly #byId = new Map<string, Connection>()
  readonly #byIdentity = new Map<string, Set<Connection>>()
  #reserved = 0

  /**
   * Reserves a slot for a connect in progress, so that concurrent connects that are still in
   * `authenticate` cannot together exceed maxConnections. @returns false when full
   */
  reserve(max: number): boolean {
    if (this.#byId.size + this.#reserved >= max) return false
    this.#reserved++
    return true
  }

  unreserve(): void {
    if (this.#reserved > 0) this.#reserved--
  }

  add(connection: Connection): void {
    this.#byId.set(connection.id, connection)
    this.indexIdentity(connection)
  }

  indexIdentity(connection: Connection): void {
    const identityId = connection.identity?.id
    if (identityId === undefined) return
    let set = this.#byIdentity.get(identityId)
    if (!set) {
      set = new Set()
      this.#byIdentity.set(identityId, set)
    }
    set.add(connection)
  }

  remove(connection: Connection): void {
    if (this.#byId.get(connection.id) === connection) this.#byId.delete(connection.id)
    const identityId = connection.identity?.id
    if (identityId === undefined) return
    const set = this.#byIdentity.get(identityId)
    set?.delete(connection)
    if (set?.size === 0) this.#byIdentity.delete(identityId)
  }

  get(id: string): Connection | undefined {
    return this.#byId.get(id)
  }

  ofIdentity(identityId: string): Connection[] {
    return [...(this.#byIdentity.get(identityId) ?? [])]
  }

  all(): Connection[] {
    return [...this.#byId.values()]
  }

  get size(): number {
    return this.#byId.size
  }
}
