/**
 * Passes a worker's call on to the server hosting its member, over kept-alive
 * connections, and brings the answer back as it came. The peer checks the
 * call's key and member token itself; the header below only stops a call
 * from being passed on twice.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

/** Set on a call passed on by a server: its receiver serves it or says it cannot, never passes it on. */
export const FORWARDED_HEADER = 'millrace-forwarded-by';

/** The headers a call carries on, and the ones its answer brings back. */
const CALL_HEADERS = ['authorization', 'content-type', 'millrace-member-token'] as const;
const ANSWER_HEADERS = ['content-type', 'retry-after', 'cache-control'] as const;

export interface PeerCall {
  readonly url: string;
  readonly method: string;
  /** The path and query, as the worker sent them. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string | undefined;
  /** How long the peer may take: a long poll's wait and a margin. */
  readonly timeoutMs: number;
}

export interface PeerAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Why a call could not be passed on: `refused`, nobody listens there (the
 * peer is gone); `silent`, no answer in time or the connection broke (the
 * peer may be frozen).
 */
export class PeerUnreachable extends Error {
  constructor(
    readonly why: 'refused' | 'silent',
    cause: unknown,
  ) {
    super(`the server hosting the member did not answer (${why})`, { cause });
  }
}

export class PeerForwarder {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  private readonly https: HttpsAgent;

  constructor(
    private readonly self: string,
    /** Trusted for peers' certificates, beside the system's: this server's own certificate. */
    ca: string | Buffer | undefined,
  ) {
    // `ca` replaces the trusted roots: the system's are given back beside this one.
    this.https = new HttpsAgent({
      keepAlive: true,
      maxSockets: 256,
      ca: ca === undefined ? undefined : [...rootCertificates, ca],
    });
  }

  call(call: PeerCall): Promise<PeerAnswer> {
    const target = new URL(call.path, call.url);
    const headers: Record<string, string> = { [FORWARDED_HEADER]: this.self };
    for (const name of CALL_HEADERS) {
      const value = call.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(
        target,
        { method: call.method, headers, agent: secure ? this.https : this.http },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', (error) => reject(new PeerUnreachable('silent', error)));
          incoming.on('end', () => {
            const answered: Record<string, string> = {};
            for (const name of ANSWER_HEADERS) {
              const value = incoming.headers[name];
              if (typeof value === 'string') answered[name] = value;
            }
            resolve({
              status: incoming.statusCode ?? 502,
              headers: answered,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      outgoing.setTimeout(call.timeoutMs, () => {
        outgoing.destroy(
          new PeerUnreachable('silent', new Error(`no answer in ${call.timeoutMs} ms`)),
        );
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof PeerUnreachable) reject(error);
        else
          reject(new PeerUnreachable(error.code === 'ECONNREFUSED' ? 'refused' : 'silent', error));
      });
      outgoing.end(call.body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
