'use client'

import { createClient } from '@sluice/client'
import { SluiceProvider } from '@sluice/react'
import { type ReactNode, useState } from 'react'

/**
 * One Sluice client per browser tab, for every hook below. It is created in a client component
 * (a server component cannot hold one: it would be shared by every request) and is lazy: nothing
 * connects until a hook subscribes, which happens after hydration, in the browser only, so the
 * server render of this component opens no connection.
 */
export function Providers({ url, children }: { url: string; children: ReactNode }) {
  const [client] = useState(() => createClient({ url }))
  return <SluiceProvider client={client}>{children}</SluiceProvider>
}
