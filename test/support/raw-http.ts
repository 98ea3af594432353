/**
 * HTTP/1.1 over a bare socket, for requests no HTTP client will send as
 * written: malformed URLs, forged Host headers, oversized headers, bodies
 * that stop half way. Each request asks the server to close the connection,
 * so the answer is everything read until it does.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  /** @defaultValue `localhost:<port>` */
  readonly host?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON text; sent with its Content-Length. */
  readonly body?: string;
}

export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}

export function requestText(port: number, request: RawRequest, close = true): string {
  const lines = [
    `${request.method ?? 'GET'} ${request.path} HTTP/1.1`,
    `Host: ${request.host ?? `localhost:${port}`}`,
    ...(close ? ['Connection: close'] : []),
    ...Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
  ];
  if (request.body !== undefined) {
    lines.push('Content-Type: application/json');
    lines.push(`Content-Length: ${Buffer.byteLength(request.body)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${request.body ?? ''}`;
}

/**
 * Writes `text` and resolves with all the server sent once it closed the
 * connection: after a `Connection: close` answer, or when its timeouts end it.
 */
export function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset a connection it refused while the request was still being written.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export async function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  return parseResponse(await exchange(port, requestText(port, request)));
}
