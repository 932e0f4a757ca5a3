import 'server-only'

/**
 * The Sluice server as the Next server reaches it: its realtime URL and the admin key that
 * reads topic history. Server-only (the import above fails the build if a client component
 * imports this file), because the admin key must never reach a browser.
 */
export function sluiceServer(): { url: string; adminKey: string } {
  const adminKey = process.env.SLUICE_ADMIN_KEY
  if (!adminKey) {
    throw new Error(
      'SLUICE_ADMIN_KEY is not set: the page reads the message history with it (set the same key for `pnpm sluice`)',
    )
  }
  return { url: process.env.SLUICE_URL ?? 'http://127.0.0.1:8080/realtime', adminKey }
}

/**
 * The realtime URL browsers connect to, read per request on the server and handed to the client
 * provider as a prop: one build then runs anywhere (a NEXT_PUBLIC_ variable is frozen at build).
 */
export function sluicePublicUrl(): string {
  return process.env.SLUICE_PUBLIC_URL ?? process.env.SLUICE_URL ?? 'http://127.0.0.1:8080/realtime'
}
