// JSON body parsing with the limits of API.md: 64 KiB everywhere, a larger limit only on the
// routes listed in LARGE_BODY_ROUTES (POST /v1/enrich carries up to 2 MiB of text, which JSON
// escaping can grow, so it gets 8 MiB). Over the limit: 413 payload_too_large. The large limit is
// only for an authenticated caller: those routes run the auth middleware before reading the body,
// so an anonymous client cannot make the companion buffer and parse 8 MiB.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export const DEFAULT_BODY_LIMIT = '64kb';
export const LARGE_BODY_LIMIT = '8mb';

/** `METHOD path` pairs allowed the large limit. */
export const LARGE_BODY_ROUTES: ReadonlySet<string> = new Set(['POST /v1/enrich']);

export function jsonBody(
  authenticate: (request: Request, response: Response, next: NextFunction) => Promise<void>,
  largeRoutes: ReadonlySet<string> = LARGE_BODY_ROUTES,
): RequestHandler {
  const small = express.json({ limit: DEFAULT_BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] });
  const large = express.json({ limit: LARGE_BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] });
  return (request: Request, response: Response, next: NextFunction) => {
    if (!largeRoutes.has(`${request.method} ${request.path}`)) {
      small(request, response, next);
      return;
    }
    authenticate(request, response, (error?: unknown) => {
      if (error) next(error);
      else large(request, response, next);
    }).catch(next);
  };
}
