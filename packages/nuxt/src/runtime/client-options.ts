import type { ClientOptions } from '@sluice/client'
import type { SluicePublicConfig } from '../module-options'

/**
 * The options the plugin creates its client with, from the public runtime config. On the
 * server (`requestUrl` given) a relative URL is resolved against the request, because there
 * is no page there to resolve it against and `createClient` would refuse it.
 *
 * @param config `useRuntimeConfig().public.sluice`
 * @param requestUrl the URL being rendered, on the server only
 * @throws Error naming the option when no URL is configured
 */
export function clientOptions(
  config: Partial<SluicePublicConfig> | undefined,
  requestUrl?: URL,
): ClientOptions {
  const url = config?.url
  if (typeof url !== 'string' || url === '') {
    throw new Error(
      `@sluice/nuxt: no server URL: set sluice.url in nuxt.config or NUXT_PUBLIC_SLUICE_URL, received ${JSON.stringify(url)}`,
    )
  }
  const options: ClientOptions = { url: requestUrl ? new URL(url, requestUrl).href : url }
  if (config?.transports !== undefined) options.transports = config.transports
  return options
}
