// The one error handler: AppError -> its code and status; body-parser and zod failures -> 400 or
// 413; everything else -> 500 `internal`, logged with the request id, no detail in the response.
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '@byok/shared';
import type { Logger } from '../../logger';
import { describeIssues } from '../validate';
import { requestIdOf } from './request-id';

function bodyParserType(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  return typeof error.type === 'string' ? error.type : undefined;
}

/** SQLite result codes that mean the data directory cannot be written (full, read-only, I/O). */
const STORAGE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;

/** The SQLite code of a storage failure (better-sqlite3's SqliteError), else undefined. */
export function storageFailure(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'SqliteError' || !('code' in error)) return undefined;
  return typeof error.code === 'string' && STORAGE_CODES.test(error.code) ? error.code : undefined;
}

export const STORAGE_MESSAGE = 'The server cannot write to its data directory (disk full or read-only); nothing was changed. Try again later.';

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return new AppError('bad_request', describeIssues(error, 'request'));
  // The router decodes path parameters with decodeURIComponent: `%zz` or `%c0%af` throw here.
  if (error instanceof URIError) return new AppError('bad_request', 'The request path is not valid percent-encoded UTF-8.');
  // Still `internal` (API.md has no code for it), but with a message an operator can act on:
  // the transaction was rolled back, so the client may retry once space is back.
  if (storageFailure(error) !== undefined) return new AppError('internal', STORAGE_MESSAGE);
  switch (bodyParserType(error)) {
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'entity.parse.failed':
      return new AppError('bad_request', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('bad_request', 'The request body must be UTF-8 JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('bad_request', 'The request body could not be read.');
    default:
      return undefined;
  }
}

export function errorHandler(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction): void => {
    const known = toAppError(error);
    const requestId = requestIdOf(request);
    const appError = known ?? new AppError('internal', 'Internal error.');
    if (!known) {
      logger.error({ requestId, method: request.method, route: request.route?.path, err: error }, 'unhandled error');
    } else if (appError.status >= 500) {
      const sqlite = storageFailure(error);
      if (sqlite !== undefined) logger.error({ requestId, sqlite }, 'storage failure: the data directory cannot be written');
      else logger.warn({ requestId, code: appError.code }, 'request failed');
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(appError.status).json(appError.toBody());
  };
}

/** Unknown routes answer like every other error. */
export function notFound() {
  return (_request: Request, _response: Response, next: NextFunction): void => {
    next(new AppError('not_found', 'No such endpoint.'));
  };
}
