/**
 * Errors met before a request reaches a route, answered in the one error
 * shape too: a URL the router cannot decode or whose parameter is too long
 * (fastify's framework errors), and what node's HTTP parser refuses on the
 * socket itself (headers too large, a request that did not arrive in time,
 * malformed HTTP), where no fastify reply exists and the answer is written raw.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { quote } from '../core/quote.js';
import { errorBody, type ErrorReply } from './errors.js';

/** fastify's `frameworkErrors`: the router's refusals. */
export function frameworkErrorReply(error: FastifyError, request: FastifyRequest): ErrorReply {
  const path = quote(request.url.split('?')[0] ?? '');
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return refusal(
        414,
        'validation',
        'uri_too_long',
        `a path segment of ${path} is longer than any name this server takes`,
        false,
      );
    case 'FST_ERR_BAD_URL':
      return refusal(
        400,
        'validation',
        'bad_url',
        `${path} is not a valid URL path (a % must start a two-digit hex escape of UTF-8)`,
        false,
      );
    default:
      return refusal(400, 'validation', 'bad_request', `the router refused ${path}`, false);
  }
}

export function sendErrorReply(
  reply: FastifyReply,
  { status, body, headers }: ErrorReply,
): FastifyReply {
  if (headers !== undefined) void reply.headers(headers);
  return reply.code(status).send(body);
}

interface ParserError extends Error {
  code?: string;
}

function clientErrorReply(error: ParserError): ErrorReply {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return refusal(
        431,
        'validation',
        'headers_too_large',
        'the request line and headers are too large',
        false,
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return refusal(
        408,
        'timeout',
        'request_timeout',
        'the request (headers and body) did not arrive in time',
        true,
      );
    default:
      return refusal(400, 'validation', 'bad_request', 'malformed HTTP request', false);
  }
}

function refusal(
  status: number,
  code: string,
  reason: string,
  message: string,
  retriable: boolean,
): ErrorReply {
  return { status, body: errorBody({ code, reason, message, retriable }) };
}

/**
 * fastify's `clientErrorHandler`: node's parser refused the request, so the
 * answer goes straight onto the socket, which is then closed (what came
 * after cannot be trusted to start a request).
 */
export function handleClientError(error: ParserError, socket: Socket): void {
  // A reset socket has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // An answer already started on this socket cannot be followed by another.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const { status, body } = clientErrorReply(error);
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
