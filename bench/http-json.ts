/**
 * JSON calls over kept-alive HTTP connections, as a lean worker makes them:
 * what the benchmarks' HTTP workers use, so the client costs little of the
 * machine the server is measured on.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true });

export function httpJson<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers['millrace-member-token'] = token;
  return new Promise((resolve, reject) => {
    const outgoing = request(`${base}${path}`, { method, headers, agent }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => {
        const status = incoming.statusCode ?? 0;
        if (status >= 300) reject(new Error(`${method} ${path}: ${status} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
