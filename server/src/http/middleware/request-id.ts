// Gives every request an id: a well-formed client `x-request-id` is kept (it is the idempotency
// key of POST /v1/enrich), anything else is replaced; the id is echoed on every response.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();

export function requestIdOf(request: Request): string {
  return ids.get(request) ?? 'unknown';
}

/** True when the id came from the client (not generated here). */
export function clientRequestId(request: Request): string | undefined {
  const header = request.get('x-request-id');
  return header !== undefined && VALID.test(header) ? header : undefined;
}

export function requestId() {
  return (request: Request, response: Response, next: NextFunction): void => {
    const id = clientRequestId(request) ?? randomUUID();
    ids.set(request, id);
    response.setHeader('x-request-id', id);
    next();
  };
}
