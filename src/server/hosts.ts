/**
 * Which `Host` headers a server answers. A browser lets any web page send
 * requests to a name it controls; if that name is rebound to 127.0.0.1 (DNS
 * rebinding) the page reaches a server on the user's own machine, with the
 * page's name in `Host`. A server bound to loopback therefore answers only
 * loopback names and the ones it was told about; a server bound to a public
 * address is meant to be reached by any name, unless told which.
 */
import type { AddressInfo } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);
const IPV4_LOOPBACK = /^127(?:\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}$/;

function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || IPV4_LOOPBACK.test(name);
}

/** Whether an address to listen on (`--host`) is loopback: `localhost`, `127.x.x.x`, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return name === '::1' || isLoopbackName(name);
}

export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(?:::ffff:)?127\./.test(address);
}

/** The name in a Host header, lower case, without its port or a final dot. */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  const name = end <= 0 ? host : host.slice(0, end);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export class HostGuard {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedHosts: readonly string[]) {
    this.allowed = new Set(allowedHosts);
  }

  /**
   * Whether a request with this Host may be answered by a server at `bound`
   * (null before it listens, as under `inject`: held to the loopback rule).
   */
  allows(host: string | undefined, bound: AddressInfo | string | null): boolean {
    const loopback =
      bound === null || (typeof bound === 'object' && isLoopbackAddress(bound.address));
    if (!loopback && this.allowed.size === 0) return true;
    if (host === undefined) return false;
    const name = hostName(host);
    return isLoopbackName(name) || this.allowed.has(name);
  }
}
