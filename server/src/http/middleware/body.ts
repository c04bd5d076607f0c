// JSON body parsing with the limits of API.md: 64 KiB everywhere, a larger limit only on the
// routes listed in LARGE_BODY_ROUTES (POST /v1/enrich carries up to 2 MiB of text, which JSON
// escaping can grow, so it gets 8 MiB). Over the limit: 413 payload_too_large.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export const DEFAULT_BODY_LIMIT = '64kb';
export const LARGE_BODY_LIMIT = '8mb';

/** `METHOD path` pairs allowed the large limit. */
export const LARGE_BODY_ROUTES: ReadonlySet<string> = new Set(['POST /v1/enrich']);

export function jsonBody(largeRoutes: ReadonlySet<string> = LARGE_BODY_ROUTES): RequestHandler {
  const small = express.json({ limit: DEFAULT_BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] });
  const large = express.json({ limit: LARGE_BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] });
  return (request: Request, response: Response, next: NextFunction) => {
    const parser = largeRoutes.has(`${request.method} ${request.path}`) ? large : small;
    parser(request, response, next);
  };
}
