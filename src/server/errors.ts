/**
 * Every failure leaves the server as `{ error: { code, reason, message,
 * retriable, details? } }` with a status a client can act on. Typed millrace
 * errors map by code; fastify's own request errors keep their status;
 * anything else is a bug, logged here and answered with a generic 500.
 * Messages and details are clipped on the way out, so no error echoes a
 * large input whole, whichever layer wrote it.
 */
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import {
  OverloadedError,
  isMillraceError,
  type ErrorCode,
  type MillraceError,
} from '../core/errors.js';
import { clip } from '../core/quote.js';
import type { ErrorResponse } from './wire/responses.js';

export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorResponse;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The longest message answered; the inputs messages quote are clipped where they are written. */
const MAX_MESSAGE = 300;
/** The longest string in `details`. */
const MAX_DETAIL = 64;
const MAX_DETAIL_ITEMS = 20;

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  conflict: 409,
  fenced: 409,
  not_found: 404,
  unsupported: 501,
  connection: 503,
  closed: 503,
  timeout: 504,
  unauthorized: 401,
  forbidden: 403,
  overloaded: 503,
};

// Reasons whose meaning HTTP has its own status for, whatever the code.
const STATUS_BY_REASON: Record<string, number> = { payload_too_large: 413, rate_limited: 429 };

const FASTIFY_REASONS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
};

function clipDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return clip(value, MAX_DETAIL);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 3) return '…';
  if (Array.isArray(value)) {
    return value.slice(0, MAX_DETAIL_ITEMS).map((item) => clipDetails(item, depth + 1));
  }
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, MAX_DETAIL_ITEMS)
      .map(([key, item]) => [clip(key, MAX_DETAIL), clipDetails(item, depth + 1)]),
  );
}

/** The one error body, clipped. */
export function errorBody(error: {
  code: string;
  reason: string;
  message: string;
  retriable: boolean;
  details?: Record<string, unknown> | undefined;
}): ErrorResponse {
  return {
    error: {
      code: error.code,
      reason: error.reason,
      message: clip(error.message, MAX_MESSAGE),
      retriable: error.retriable,
      ...(error.details === undefined
        ? {}
        : { details: clipDetails(error.details) as Record<string, unknown> }),
    },
  };
}

function fromMillrace(error: MillraceError): ErrorReply {
  const reason = error.reason ?? error.code;
  const retryAfter =
    error instanceof OverloadedError
      ? Math.max(1, Math.ceil(error.retryAfterMs / 1000))
      : undefined;
  return {
    status: STATUS_BY_REASON[reason] ?? STATUS[error.code],
    ...(retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } }),
    body: errorBody({
      code: error.code,
      reason,
      message: error.message,
      retriable: error.retriable,
      details: error.details,
    }),
  };
}

function isRequestError(error: unknown): error is FastifyError & { statusCode: number } {
  const status = (error as Partial<FastifyError> | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export function errorReply(error: unknown, logger: FastifyBaseLogger): ErrorReply {
  if (isMillraceError(error)) return fromMillrace(error);
  if (isRequestError(error)) {
    return {
      status: error.statusCode,
      body: errorBody({
        code: 'validation',
        reason: FASTIFY_REASONS[error.code] ?? 'bad_request',
        message: error.message,
        retriable: false,
      }),
    };
  }
  logger.error({ err: error }, 'unexpected error while handling a request');
  return {
    status: 500,
    body: errorBody({
      code: 'internal',
      reason: 'internal_error',
      message: 'internal server error; see the server log',
      retriable: false,
    }),
  };
}

/** No route for this path (404), or none for this method on it (405, with `Allow`). */
export function routeMissReply(
  method: string,
  url: string,
  allowed: readonly string[],
): ErrorReply {
  const path = clip(url.split('?')[0] ?? url);
  if (allowed.length > 0) {
    return {
      status: 405,
      headers: { allow: allowed.join(', ') },
      body: errorBody({
        code: 'validation',
        reason: 'method_not_allowed',
        message: `${clip(method, 16)} is not allowed on ${path}; use ${allowed.join(', ')}`,
        retriable: false,
      }),
    };
  }
  return {
    status: 404,
    body: errorBody({
      code: 'not_found',
      reason: 'unknown_route',
      message: `no route ${clip(method, 16)} ${path}; see GET /v1/health`,
      retriable: false,
    }),
  };
}

/** A Host this server does not answer to. */
export function hostRefusedReply(host: string | undefined): ErrorReply {
  return {
    status: 421,
    body: errorBody({
      code: 'validation',
      reason: 'host_not_allowed',
      message:
        host === undefined
          ? 'a Host header is required'
          : `this server does not answer to Host ${JSON.stringify(clip(host))}; name it in allowedHosts (millrace start --allowed-host) to allow it`,
      retriable: false,
    }),
  };
}
