// The authenticated caller of a request, set by the auth middleware and read by routes.
import type { Request } from 'express';
import type { Role } from '@byok/shared/wire/accounts';
import { AppError } from '@byok/shared';

export interface Principal {
  userId: string;
  orgId: string;
  role: Role;
  familyId: string;
}

// Keyed by the request object, so a principal cannot outlive or leak across requests.
const principals = new WeakMap<Request, Principal>();

export function setPrincipal(request: Request, principal: Principal): void {
  principals.set(request, principal);
}

/** Whether the auth middleware already authenticated this request (it may run early for big bodies). */
export function hasPrincipal(request: Request): boolean {
  return principals.has(request);
}

/** The caller; 401 when the route was mounted without the auth middleware. */
export function principalOf(request: Request): Principal {
  const principal = principals.get(request);
  if (!principal) throw new AppError('unauthenticated', 'Missing, invalid or expired access token.');
  return principal;
}
