import { createServer } from 'node:net'

/** A port free on 127.0.0.1 now (the OS picks it; the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port)
        else reject(new Error(`freePort: the server has no port, address ${JSON.stringify(address)}`))
      })
    })
  })
}
