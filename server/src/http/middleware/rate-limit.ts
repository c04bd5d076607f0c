// Rate limits (express-rate-limit, in memory): per IP on the whole API, and on /v1/auth/* both
// per IP and per account (the normalized email in the body) against credential stuffing and
// guessing. BYOK_RATE_LIMITS=off turns them all off. Over the limit: 429 rate_limited.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError, normalizeEmail } from '@byok/shared';

export interface RateLimitSettings {
  windowMs: number;
  /** Requests per IP per window on every route. */
  apiPerIp: number;
  /** Requests per IP per window on /v1/auth/*. */
  authPerIp: number;
  /** Requests per account (email) per window on the auth routes that name one. */
  authPerAccount: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  windowMs: 60_000,
  apiPerIp: 1_200,
  authPerIp: 300,
  authPerAccount: 20,
};

function tooMany(_request: Request, _response: Response, next: NextFunction): void {
  next(new AppError('rate_limited', 'Too many requests; try again later.'));
}

function emailOf(request: Request): string | undefined {
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || !('email' in body)) return undefined;
  return typeof body.email === 'string' ? normalizeEmail(body.email).slice(0, 254) : undefined;
}

const passThrough: RequestHandler = (_request, _response, next) => next();

export interface RateLimiters {
  api: RequestHandler;
  authIp: RequestHandler;
  /** Runs after the body parser: it keys on the email in the body. */
  authAccount: RequestHandler;
}

export function createRateLimiters(enabled: boolean, settings: RateLimitSettings = DEFAULT_RATE_LIMITS): RateLimiters {
  if (!enabled) return { api: passThrough, authIp: passThrough, authAccount: passThrough };
  const common = { windowMs: settings.windowMs, standardHeaders: 'draft-8' as const, legacyHeaders: false, handler: tooMany };
  return {
    api: rateLimit({ ...common, limit: settings.apiPerIp }),
    authIp: rateLimit({ ...common, limit: settings.authPerIp }),
    authAccount: rateLimit({
      ...common,
      limit: settings.authPerAccount,
      identifier: 'account',
      skip: (request) => emailOf(request) === undefined,
      keyGenerator: (request) => `account:${emailOf(request) ?? ''}`,
    }),
  };
}
