import type { MergeStrategy, SluiceClient, SubscriptionState } from '@sluice/client'
import { useRealtime } from '@sluice/react'
import { Window } from 'happy-dom'
import { createElement } from 'react'
import { createRoot } from 'react-dom/client'

interface ListProps<TData extends { items: readonly unknown[] }> {
  client: SluiceClient
  topic: string
  merge: MergeStrategy<TData>
  onRender: (state: SubscriptionState<TData>) => void
}

function BurstList<TData extends { items: readonly unknown[] }>({
  client,
  topic,
  merge,
  onRender,
}: ListProps<TData>) {
  const state = useRealtime(client, topic, { merge })
  onRender(state)
  return createElement(
    'ul',
    null,
    state.data.items.map((item, i) => createElement('li', { key: i }, JSON.stringify(item).length)),
  )
}

/**
 * Mounts a React component that lists a topic through `useRealtime`, in a happy-dom document,
 * and counts how often the subscription store notifies and how often the component renders.
 */
export function mountBurstView<TData extends { items: readonly unknown[] }>(
  client: SluiceClient,
  topic: string,
  merge: MergeStrategy<TData>,
) {
  const window = new Window({ url: 'http://127.0.0.1/' })
  // React DOM reads these globals at render time; happy-dom provides them on its window.
  Object.assign(globalThis, { window, document: window.document, HTMLElement: window.HTMLElement })

  let renders = 0
  let status = 'idle'
  const onRender = (state: SubscriptionState<TData>) => {
    renders++
    status = state.status
  }

  // The same topic and merge share the component's store: listening here sees its notifications.
  const shared = client.subscribe(topic, { merge })
  let notifications = 0
  const stopListening = shared.$state.listen(() => notifications++)

  const container = window.document.createElement('div')
  window.document.body.appendChild(container)
  const root = createRoot(container as unknown as Element)
  root.render(createElement(BurstList<TData>, { client, topic, merge, onRender }))

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
