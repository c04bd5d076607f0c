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

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return new AppError('bad_request', describeIssues(error, 'request'));
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
      logger.warn({ requestId, code: appError.code }, 'request failed');
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
