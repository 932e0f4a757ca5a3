/**
 * The part of the event stream format (HTML § 9.2.6, "interpret an event stream") the client
 * needs: the `data` of each event. Lines end in CRLF, LF or CR, also across chunks; a line
 * starting with `:` is a comment (the server's heartbeats); `data` lines are joined with LF;
 * an empty line dispatches the event, unless it had no `data` line. `event`, `id` and `retry`
 * are read past: the client knows a frame's type from its JSON and resumes with `subscribe{from}`,
 * not `Last-Event-ID`. An event cut off by the end of the stream is never dispatched.
 *
 * The decoding is the stream's (a `TextDecoderStream`, which also drops a leading BOM).
 *
 * @param onData called with the data of each event, in order
 * @returns `feed(text)`, to call with each decoded chunk of the stream
 */
export function createSseParser(onData: (data: string) => void): (text: string) => void {
  // The start of a line whose end has not arrived yet.
  let partial = ''
  // The `data` lines of the event being read, each followed by LF.
  let data = ''
  // The last chunk ended in CR: an LF starting the next one ends the same line.
  let afterCr = false

  return (text) => {
    // An empty chunk must not forget a CR that ended the one before.
    if (text === '') return
    const chunk = afterCr && text[0] === '\n' ? text.slice(1) : text
    afterCr = chunk.endsWith('\r')
    const lines = (partial + chunk).split(/\r\n|\r|\n/)
    partial = lines.pop() as string
    for (const line of lines) {
      if (line === '') {
        if (data !== '') onData(data.slice(0, -1))
        data = ''
        continue
      }
      const colon = line.indexOf(':')
      // A field without a colon has an empty value; one space after the colon is not part of it.
      if (colon < 0 ? line === 'data' : line.startsWith('data:')) {
        data += `${colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1)}\n`
      }
    }
  }
}
