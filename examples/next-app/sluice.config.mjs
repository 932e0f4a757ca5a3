// The realtime server of this example: `pnpm sluice` runs `sluice-server --config sluice.config.mjs`.
// Start it with SLUICE_ADMIN_KEY set (the Next server reads the message history with it) and, when
// the app is not on http://localhost:3000, SLUICE_ALLOWED_ORIGINS naming the app's origin.
import { defineConfig } from '@sluice/server-node'

const adminKey = process.env.SLUICE_ADMIN_KEY

export default defineConfig({
  port: 8080,
  host: '127.0.0.1',
  allowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000'],
  // The page renders the topic's log, so the log is the message list: it keeps as many messages
  // as the page shows (lib/messages.ts, MESSAGES_SHOWN).
  rules: [{ topic: 'messages', subscribe: 'anyone', publish: 'anyone', history: { maxEvents: 50 } }],
  // The operations API (admin/history) is off without a key.
  adminKeys: adminKey ? [adminKey] : [],
})
