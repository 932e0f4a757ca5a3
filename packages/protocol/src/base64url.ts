// Isomorphic base64url for short UTF-8 strings (subscription params, SSE cursors):
// btoa/atob exist in browsers, workers, Deno, Bun and Node 16+, Buffer does not everywhere.

/** Encodes a UTF-8 string as base64url without padding. */
export function encodeBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes base64url to a UTF-8 string; null when it is not base64url or not UTF-8. Padding is
 * optional: hand-written clients often keep the `=` that `btoa` adds.
 */
export function decodeBase64Url(input: string): string | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(input)) return null
  const body = input.replace(/=+$/, '')
  if (body.length % 4 === 1 || (body.length !== input.length && input.length % 4 !== 0)) return null
  try {
    const binary = atob(body.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return null
  }
}
