// Gives every request an id: a well-formed client `x-request-id` is kept (it is the idempotency
// key of POST /v1/enrich, which refuses a malformed one), anything else is replaced (it only
// correlates logs there); the id is echoed on every response. The character set keeps it safe in
// logs and headers.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;
/** VALID in words, for the error that refuses an idempotency key. */
export const REQUEST_ID_RULE = '1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"';
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
