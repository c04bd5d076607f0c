// POST /v1/admin/invites (owner and admin): a single-use invite code with a role and an expiry.
import { Router } from 'express';
import { AppError } from '@byok/shared';
import { CreateInviteRequest } from '@byok/shared/wire/admin';
import { principalOf } from '../../services/principal';
import { parseInput } from '../validate';
import type { RouteContext } from './context';

export function adminInviteRoutes(context: RouteContext): Router {
  const router = Router();
  router.post('/v1/admin/invites', context.requireAuth, (request, response) => {
    const principal = principalOf(request);
    if (principal.role !== 'owner' && principal.role !== 'admin') throw new AppError('forbidden', 'Only owners and admins can invite.');
    const body = parseInput(CreateInviteRequest, request.body);
    response.status(201).json(context.services.accounts.createInvite(principal, body));
  });
  return router;
}
