/**
 * The Host rule by the address a server is bound to: loopback answers only
 * loopback names and allowedHosts; any other address answers every Host
 * unless allowedHosts is given.
 */
import { describe, expect, it } from 'vitest';
import { HostGuard, hostName } from '../../src/server/hosts.js';

const at = (address: string) => ({ address, family: 'IPv4', port: 7700 });

describe('HostGuard', () => {
  it('reads the name out of a Host header', () => {
    expect(hostName('Example.COM:8080')).toBe('example.com');
    expect(hostName('[::1]:7700')).toBe('[::1]');
    expect(hostName('localhost.')).toBe('localhost');
  });

  it.each([
    ['127.0.0.1', 'localhost:7700', true],
    ['127.0.0.1', '127.0.0.1', true],
    ['::1', '[::1]:7700', true],
    ['::ffff:127.0.0.1', 'localhost', true],
    ['127.0.0.1', 'rebound.example', false],
    ['127.0.0.1', 'localhost.rebound.example', false],
    ['0.0.0.0', 'rebound.example', true],
    ['192.0.2.10', 'any.example:80', true],
  ])('bound to %s, Host %s → %s', (address, host, allowed) => {
    expect(new HostGuard([]).allows(host, at(address))).toBe(allowed);
  });

  it('with allowedHosts, every address answers only those and loopback names', () => {
    const guard = new HostGuard(['millrace.example']);
    for (const address of ['127.0.0.1', '0.0.0.0', '192.0.2.10']) {
      expect(guard.allows('millrace.example:443', at(address))).toBe(true);
      expect(guard.allows('localhost', at(address))).toBe(true);
      expect(guard.allows('other.example', at(address))).toBe(false);
      expect(guard.allows(undefined, at(address))).toBe(false);
    }
  });

  it('before listening (inject) the loopback rule holds', () => {
    expect(new HostGuard([]).allows('localhost:80', null)).toBe(true);
    expect(new HostGuard([]).allows('rebound.example', null)).toBe(false);
  });
});
