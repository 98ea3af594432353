/** The address a listening server is reached at by its peers, by default. */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';

export function listeningUrl(app: FastifyInstance, tls: boolean): string {
  const address = app.server.address();
  const scheme = tls ? 'https' : 'http';
  if (address === null || typeof address === 'string') return `${scheme}://localhost`;
  // A wildcard address is no address to call: the machine's name is.
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard
    ? hostname()
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `${scheme}://${host}:${address.port}`;
}
