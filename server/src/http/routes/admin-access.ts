// The gate of every /v1/admin route: an authenticated owner or admin. Members get 403 forbidden.
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@byok/shared';
import { principalOf } from '../../services/principal';
import type { Principal } from '../../services/principal';
import type { AdminActor } from '../../services/admin/actor';

export function requireAdmin(request: Request, _response: Response, next: NextFunction): void {
  const principal = principalOf(request);
  if (principal.role !== 'owner' && principal.role !== 'admin') {
    throw new AppError('forbidden', 'Only owners and admins can manage the organization.');
  }
  next();
}

export function adminActorOf(principal: Principal): AdminActor {
  return { kind: 'user', userId: principal.userId, role: principal.role };
}
