// The demo's domain: a todo list kept in memory and changed only through procedures, each of
// which publishes the change to the `todos` topic so every open board merges it.
import { randomUUID } from 'node:crypto'
import { ServerError } from '@sluice/server-node'

// A type alias, not an interface: aliases are assignable to the Json type snapshots return.
export type Todo = {
  id: string
  title: string
  done: boolean
}

/** The part of the Sluice server the board publishes through. */
interface Publisher {
  publish(topic: string, event: { kind: string; key?: string; data?: unknown }): Promise<unknown>
}

const MAX_TITLE = 200

function readTitle(args: unknown): string {
  const title = (args as { title?: unknown } | null)?.title
  if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE) {
    throw new ServerError('VALIDATION', `title must be 1 to ${MAX_TITLE} characters`, {
      issues: [{ path: ['title'], message: `1 to ${MAX_TITLE} characters` }],
    })
  }
  return title.trim()
}

function readId(args: unknown): string {
  const id = (args as { id?: unknown } | null)?.id
  if (typeof id !== 'string') {
    throw new ServerError('VALIDATION', 'id must be a string', {
      issues: [{ path: ['id'], message: 'a string' }],
    })
  }
  return id
}

export function createTodoBoard() {
  const todos = new Map<string, Todo>()

  return {
    list: (): Todo[] => [...todos.values()],
    procedures: (server: () => Publisher) => ({
      addTodo: async (args: unknown) => {
        const todo: Todo = { id: randomUUID(), title: readTitle(args), done: false }
        // Changing the map and queuing the publish in the same tick keeps snapshots and the
        // log in step: the server appends publishes in call order and holds them while a
        // snapshot of the topic is taken.
        todos.set(todo.id, todo)
        await server().publish('todos', { kind: 'created', key: todo.id, data: todo })
        return todo
      },
      toggleTodo: async (args: unknown) => {
        const todo = todos.get(readId(args))
        if (!todo) return null
        const next = { ...todo, done: !todo.done }
        todos.set(next.id, next)
        await server().publish('todos', { kind: 'updated', key: next.id, data: next })
        return next
      },
      deleteTodo: async (args: unknown) => {
        const id = readId(args)
        if (!todos.delete(id)) return false
        await server().publish('todos', { kind: 'deleted', key: id })
        return true
      },
    }),
  }
}
