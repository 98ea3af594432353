import { waitFor } from './wait.js';

/** One JSON call to a server over real HTTP, with a member's token or an API key if given. */
export interface HttpAnswer<T> {
  readonly status: number;
  readonly body: T;
}

export async function httpCall<T>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; key?: string } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers['millrace-member-token'] = options.token;
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/**
 * Fetches for a member until `count` deliveries came, each fetch
 * long-polling; every fetch must be answered 200.
 */
export async function takeDeliveries<Delivery>(
  base: string,
  member: { readonly memberId: string; readonly token: string },
  count: number,
  timeoutMs: number,
): Promise<Delivery[]> {
  const taken: Delivery[] = [];
  await waitFor(
    async () => {
      const { status, body } = await httpCall<{ deliveries: Delivery[] }>(
        base,
        'POST',
        `/v1/members/${member.memberId}/fetch`,
        { body: { max: count - taken.length, wait: 1000 }, token: member.token },
      );
      if (status !== 200)
        throw new Error(`a fetch was answered ${status}: ${JSON.stringify(body)}`);
      taken.push(...body.deliveries);
      return taken.length >= count;
    },
    `${count} deliveries through ${base}`,
    timeoutMs,
  );
  return taken;
}
