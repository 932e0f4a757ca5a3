// The demo board: one hook per topic. `?transport=sse` or `?transport=ws` pins a transport;
// the counter panel is what the e2e tests read to check exactly-once delivery in a browser.
// /dev.html serves the development build, with the Sluice devtools overlay.
import { createClient, crud, custom } from '@sluice/client'
import { mountDevtools } from '@sluice/devtools'
import { useConnection, useRealtime } from '@sluice/react'
import { type FormEvent, StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'

interface Todo {
  id: string
  title: string
  done: boolean
}

interface CounterStats {
  received: number
  last: number
  duplicates: number
  outOfOrder: number
}

const params = new URLSearchParams(location.search)
const pinned = params.get('transport')
const client = createClient({
  url: `${location.origin}/realtime`,
  transports: pinned === 'sse' ? ['sse'] : pinned === 'ws' ? ['ws'] : ['ws', 'sse'],
})

// The development build (/dev.html) shows the devtools overlay; in the production build (/)
// mountDevtools is a no-op and the overlay is not in the bundle at all.
mountDevtools(client)

const todosMerge = crud<Todo>({ key: 'id' })
// Counts instead of storing: a duplicate or a reordering shows up as a non-zero counter.
const counterMerge = custom<CounterStats>(
  (state, event) => {
    const n = (event.data as { n: number }).n
    return {
      received: state.received + 1,
      last: Math.max(state.last, n),
      duplicates: state.duplicates + (n <= state.last ? 1 : 0),
      outOfOrder: state.outOfOrder + (n !== state.last + 1 ? 1 : 0),
    }
  },
  () => ({ received: 0, last: 0, duplicates: 0, outOfOrder: 0 }),
)

function ConnectionBadge() {
  const connection = useConnection(client)
  return (
    <span
      className="badge"
      data-testid="connection"
      data-status={connection.status}
      data-transport={connection.transport ?? ''}
    >
      {connection.status}
      {connection.transport ? ` · ${connection.transport}` : ''}
    </span>
  )
}

function TodoBoard() {
  const { data, status } = useRealtime(client, 'todos', { merge: todosMerge, snapshot: true })
  const [title, setTitle] = useState('')
  const [error, setError] = useState<string | null>(null)

  const add = (event: FormEvent) => {
    event.preventDefault()
    const text = title.trim()
    if (!text) return
    setTitle('')
    client.call('addTodo', { title: text }).catch((err: Error) => setError(err.message))
  }

  return (
    <section>
      <h2>
        Todos <small data-testid="todos-status">{status}</small>
      </h2>
      <form onSubmit={add}>
        <input
          type="text"
          aria-label="New todo"
          value={title}
          maxLength={200}
          onChange={(event) => setTitle(event.target.value)}
          placeholder="What needs doing?"
        />
        <button type="submit">Add</button>
      </form>
      {error && <p role="alert">{error}</p>}
      <ul data-testid="todos">
        {data.items.map((todo) => (
          <li key={todo.id} data-testid="todo" data-done={todo.done}>
            <input
              type="checkbox"
              aria-label={`Done: ${todo.title}`}
              checked={todo.done}
              onChange={() => void client.call('toggleTodo', { id: todo.id })}
            />
            <span>{todo.title}</span>
            <button
              type="button"
              aria-label={`Delete ${todo.title}`}
              onClick={() => void client.call('deleteTodo', { id: todo.id })}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}

function CounterPanel() {
  const { data, status } = useRealtime(client, 'counter', { merge: counterMerge })
  return (
    <section>
      <h2>
        Delivery check <small>{status}</small>
      </h2>
      <p
        className="stats"
        data-testid="counter"
        data-received={data.received}
        data-last={data.last}
        data-duplicates={data.duplicates}
        data-out-of-order={data.outOfOrder}
      >
        received {data.received} · last #{data.last} · duplicates {data.duplicates} · out of order{' '}
        {data.outOfOrder}
      </p>
    </section>
  )
}

function App() {
  return (
    <main>
      <header>
        <h1>Sluice demo</h1>
        <ConnectionBadge />
      </header>
      <p>Open this page in two windows: every change reaches every board exactly once, in order.</p>
      <TodoBoard />
      <CounterPanel />
    </main>
  )
}

const root = document.getElementById('root')
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
}
