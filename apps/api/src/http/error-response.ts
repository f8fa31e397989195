import { STATUS_CODES } from 'node:http';
import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';

/** Every error answer of the API: JSON, never a stack trace or a server path. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** http-errors as thrown by Express's body parser and static files (status, expose, type). */
interface HttpError {
  status: number;
  expose?: boolean;
  type?: string;
  limit?: number;
  message: string;
}

function isHttpError(e: unknown): e is HttpError {
  const s = (e as { status?: unknown } | null)?.status;
  return e instanceof Error && typeof s === 'number' && s >= 400 && s < 500;
}

function body(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/**
 * The body parser's errors as exceptions whose message names the problem (413 with the limit,
 * 400 for malformed JSON); anything else unchanged.
 */
export function bodyParserError(err: unknown): unknown {
  if (!isHttpError(err)) return err;
  switch (err.type) {
    case 'entity.too.large':
      return new HttpException(
        `body: larger than the limit of ${err.limit} bytes (api.maxBodyBytes)`,
        HttpStatus.PAYLOAD_TOO_LARGE,
      );
    case 'entity.parse.failed':
      return new BadRequestException(`body: not valid JSON: ${err.message}`);
    default:
      return err;
  }
}

/** Status and JSON body for anything a request handler or middleware threw. */
export function errorResponse(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const r = exception.getResponse();
    if (typeof r === 'string') return body(status, r);
    const o = r as { message?: unknown; error?: unknown };
    const message = Array.isArray(o.message) ? o.message.join('; ') : String(o.message ?? exception.message);
    return {
      statusCode: status,
      error: typeof o.error === 'string' ? o.error : body(status, '').error,
      message,
    };
  }
  if (isHttpError(exception)) {
    const e = bodyParserError(exception);
    if (e instanceof HttpException) return errorResponse(e);
    return body(exception.status, exception.expose === false ? 'refused' : exception.message);
  }
  // Nest maps the body parser's SyntaxError and a bad %-escape in the path to 400 itself
  return body(500, 'internal error (the API log has the details)');
}
