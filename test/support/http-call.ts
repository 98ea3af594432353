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
