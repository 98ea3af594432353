/**
 * Every failure leaves the server as `{ error: { code, reason, message } }`
 * with a status a client can act on. Typed millrace errors map by code;
 * fastify's own request errors (body too large, not JSON) keep their status;
 * anything else is a bug, logged here and answered with a generic 500.
 */
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import { isMillraceError, type ErrorCode, type MillraceError } from '../core/errors.js';
import type { ErrorResponse } from './wire/responses.js';

export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorResponse;
}

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  conflict: 409,
  fenced: 409,
  not_found: 404,
  unsupported: 501,
  connection: 503,
  closed: 503,
  timeout: 504,
};

// Reasons whose meaning HTTP has its own status for, whatever the code.
const STATUS_BY_REASON: Record<string, number> = { payload_too_large: 413 };

const FASTIFY_REASONS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
};

function fromMillrace(error: MillraceError): ErrorReply {
  const reason = error.reason ?? error.code;
  return {
    status: STATUS_BY_REASON[reason] ?? STATUS[error.code],
    body: {
      error: {
        code: error.code,
        reason,
        message: error.message,
        retriable: error.retriable,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    },
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
      body: {
        error: {
          code: 'validation',
          reason: FASTIFY_REASONS[error.code] ?? 'bad_request',
          message: error.message,
          retriable: false,
        },
      },
    };
  }
  logger.error({ err: error }, 'unexpected error while handling a request');
  return {
    status: 500,
    body: {
      error: {
        code: 'internal',
        reason: 'internal_error',
        message: 'internal server error; see the server log',
        retriable: false,
      },
    },
  };
}

export function notFoundReply(method: string, url: string): ErrorReply {
  const path = url.split('?')[0] ?? url;
  return {
    status: 404,
    body: {
      error: {
        code: 'not_found',
        reason: 'unknown_route',
        message: `no route ${method} ${path}; see GET /v1/health`,
        retriable: false,
      },
    },
  };
}
