import type { Metadata } from 'next'
import { connection } from 'next/server'
import type { ReactNode } from 'react'
import { sluicePublicUrl } from '../lib/sluice-env'
import { Providers } from './providers'

export const metadata: Metadata = { title: 'Sluice on Next.js' }

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, never prerendered at build: the realtime URL is the environment's at
  // run time, and the page reads live data.
  await connection()
  return (
    <html lang="en">
      <body>
        <Providers url={sluicePublicUrl()}>{children}</Providers>
      </body>
    </html>
  )
}
