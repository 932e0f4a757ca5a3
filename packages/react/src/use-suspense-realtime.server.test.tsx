// @vitest-environment node
// The server render of useSuspenseRealtime, in Node without a DOM as in Next.js or any SSR
// framework: it must not subscribe (that would connect from the server process).

import { Writable } from 'node:stream'
import { crud, type SluiceClient } from '@sluice/client'
import { Suspense } from 'react'
import { renderToPipeableStream } from 'react-dom/server'
import { afterEach, expect, it } from 'vitest'
import { closeAll, connect, startRecordingServer } from '../test/recording-server'
import { useSuspenseRealtime } from './use-suspense-realtime'

interface Todo {
  id: string
  title: string
}

const options = { merge: crud<Todo>(), snapshot: true }

afterEach(closeAll)

function Todos({ client }: { client: SluiceClient }) {
  const todos = useSuspenseRealtime(client, 'todos', options)
  return <p>{todos.data.items.map((todo) => todo.title).join(',')}</p>
}

it('renders the Suspense fallback on the server, left to the browser, without connecting', async () => {
  const server = await startRecordingServer({ snapshotOf: () => [{ id: 'a', title: 'A' }] })
  const client = connect(server)
  const errors: unknown[] = []
  // The streaming renderer a framework uses (Next.js, Remix), which reports the error it caught.
  const html = await new Promise<string>((resolve, reject) => {
    let text = ''
    const sink = new Writable({
      write(chunk, _encoding, done) {
        text += chunk
        done()
      },
    })
    const stream = renderToPipeableStream(
      <Suspense fallback={<p>loading</p>}>
        <Todos client={client} />
      </Suspense>,
      {
        onError: (error) => void errors.push(error),
        onShellError: reject,
        onAllReady: () => {
          sink.on('finish', () => resolve(text))
          stream.pipe(sink)
        },
      },
    )
  })
  // `<!--$!-->` marks a boundary the browser renders itself (the template carries the error in
  // development builds of react-dom).
  expect(html).toMatch(/^<!--\$!--><template[^>]*><\/template><p>loading<\/p><!--\/\$-->/)
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatchObject({ code: 'UNAVAILABLE', topic: 'todos' })
  expect(String((errors[0] as Error).message)).toContain(
    'useSuspenseRealtime todos: renders in the browser only',
  )
  expect(client.$connection.get().status).toBe('idle')
  expect(server.log).toEqual([])
})
