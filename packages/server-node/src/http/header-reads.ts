import type { IncomingHttpHeaders } from 'node:http'

/** No headers (shared, frozen). */
export const NO_HEADERS: IncomingHttpHeaders = Object.freeze({})

/**
 * Headers that remember which names were read. A connection keeps its connect request's
 * headers for `authenticate` on token refresh; keeping only the ones `authenticate` actually
 * looked at (usually none, or a cookie) instead of the whole object saves most of that memory
 * on every idle connection. Enumerating the headers (Object.keys, spread, for…in) keeps all.
 */
export function recordHeaderReads(headers: IncomingHttpHeaders): {
  headers: IncomingHttpHeaders
  /** The headers read so far (the same object when they were enumerated). */
  read(): IncomingHttpHeaders
} {
  const names = new Set<string>()
  let all = false
  const note = (name: string | symbol) => {
    if (typeof name === 'string') names.add(name)
  }
  const proxy = new Proxy(headers, {
    get(target, name, receiver) {
      note(name)
      return Reflect.get(target, name, receiver)
    },
    has(target, name) {
      note(name)
      return Reflect.has(target, name)
    },
    getOwnPropertyDescriptor(target, name) {
      note(name)
      return Reflect.getOwnPropertyDescriptor(target, name)
    },
    ownKeys(target) {
      all = true
      return Reflect.ownKeys(target)
    },
  })
  return {
    headers: proxy,
    read() {
      if (all) return headers
      let kept: IncomingHttpHeaders | undefined
      for (const name of names) {
        if (!Object.hasOwn(headers, name)) continue
        kept ??= {}
        kept[name] = headers[name]
      }
      return kept ?? NO_HEADERS
    },
  }
}
