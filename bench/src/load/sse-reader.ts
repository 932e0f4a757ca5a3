/**
 * A minimal incremental Server-Sent Events parser (LF line endings, which every target here
 * writes): splits the stream into blocks at blank lines and reports each block's event name
 * and data. The same reader serves every SSE target so they are measured alike.
 */
export class SseReader {
  #pending = ''
  readonly #onEvent: (name: string, data: string) => void

  constructor(onEvent: (name: string, data: string) => void) {
    this.#onEvent = onEvent
  }

  feed(chunk: string): void {
    const text = this.#pending === '' ? chunk : this.#pending + chunk
    let start = 0
    for (;;) {
      const end = text.indexOf('\n\n', start)
      if (end === -1) break
      this.#block(text, start, end)
      start = end + 2
    }
    this.#pending = start === 0 ? text : text.slice(start)
  }

  #block(text: string, start: number, end: number): void {
    let name = 'message'
    let data: string | null = null
    let position = start
    while (position < end) {
      let newline = text.indexOf('\n', position)
      if (newline === -1 || newline > end) newline = end
      if (text.startsWith('data:', position)) {
        const value = text.slice(position + (text.charCodeAt(position + 5) === 32 ? 6 : 5), newline)
        data = data === null ? value : `${data}\n${value}`
      } else if (text.startsWith('event:', position)) {
        name = text.slice(position + (text.charCodeAt(position + 6) === 32 ? 7 : 6), newline)
      }
      position = newline + 1
    }
    if (data !== null) this.#onEvent(name, data)
  }
}
