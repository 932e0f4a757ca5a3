import type { SluiceClient } from '@sluice/client'
import { type DevtoolsOptions, mountOverlay } from './overlay'

const unmountNothing = () => {}

/**
 * Mounts the Sluice devtools overlay for `client`: a floating toggle button that opens a panel
 * with each topic's log (frames with their positions, resyncs with their reasons), the
 * connection's timeline, the commands awaiting answers, and presence per topic. Plain DOM in a
 * shadow root, so it works beside any framework.
 *
 * In production (`process.env.NODE_ENV === 'production'`, which bundlers replace) it mounts
 * nothing and the overlay is dropped from the bundle; bundlers that honour the `production`
 * export condition never load it at all.
 *
 * @example
 * import { createClient } from '@sluice/client'
 * import { mountDevtools } from '@sluice/devtools'
 *
 * const client = createClient({ url: 'https://example.com/realtime' })
 * const unmount = mountDevtools(client, { position: 'bottom-left' })
 * // later, e.g. on hot reload:
 * unmount()
 * @param client the client to inspect; mount right after creating it to see its first frames
 * @param options initial state, corner, container and how many rows to keep
 * @returns a function that removes the overlay and stops recording
 */
export const mountDevtools: (
  client: Pick<SluiceClient, '$connection'>,
  options?: DevtoolsOptions,
) => () => void = process.env.NODE_ENV === 'production' ? () => unmountNothing : mountOverlay
