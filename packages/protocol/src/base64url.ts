// Isomorphic base64url for short UTF-8 strings (subscription params, SSE cursors):
// btoa/atob exist in browsers, workers, Deno, Bun and Node 16+, Buffer does not everywhere.

/** Encodes a UTF-8 string as base64url without padding. */
export function encodeBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Decodes base64url (padding optional) to a UTF-8 string; null when it is not base64url or not UTF-8. */
export function decodeBase64Url(input: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(input) || input.length % 4 === 1) return null
  try {
    const binary = atob(input.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return null
  }
}
