import type { MergeStrategy, SluiceClient } from '@sluice/client'
import { Window } from 'happy-dom'

/**
 * Mounts a React component that lists a topic through `useRealtime`, in a happy-dom document,
 * and counts how often the subscription store notifies and how often the component renders.
 */
export async function mountBurstView<TData extends { items: readonly unknown[] }>(
  client: SluiceClient,
  topic: string,
  merge: MergeStrategy<TData>,
) {
  const window = new Window({ url: 'http://127.0.0.1/' })
  // React DOM reads these globals; happy-dom provides them on its window.
  Object.assign(globalThis, { window, document: window.document, HTMLElement: window.HTMLElement })
  const { createElement } = await import('react')
  const { createRoot } = await import('react-dom/client')
  const { useRealtime } = await import('@sluice/react')

  let renders = 0
  let status = 'idle'
  function List() {
    const state = useRealtime(client, topic, { merge })
    renders++
    status = state.status
    return createElement(
      'ul',
      null,
      state.data.items.map((item, i) => createElement('li', { key: i }, JSON.stringify(item).length)),
    )
  }

  // The same topic and merge share the component's store: listening here sees its notifications.
  const shared = client.subscribe(topic, { merge })
  let notifications = 0
  const stopListening = shared.$state.listen(() => notifications++)

  const container = window.document.createElement('div')
  window.document.body.appendChild(container)
  const root = createRoot(container as unknown as Element)
  root.render(createElement(List))

  return {
    status: () => status,
    resetCounts: () => {
      renders = 0
      notifications = 0
    },
    storeItems: () => shared.$state.get().data.items.length,
    renderedItems: () => container.querySelectorAll('li').length,
    storeNotifications: () => notifications,
    reactRenders: () => renders,
    unmount: () => {
      root.unmount()
      stopListening()
      shared.unsubscribe()
      client.close()
      window.close()
    },
  }
}
