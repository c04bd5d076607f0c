// GET /v1/me: the caller, their organization and the policy in force.
import { Router } from 'express';
import { orgView, userView } from '../../services/accounts';
import { policyOf } from '../../services/policy';
import { principalOf } from '../../services/principal';
import type { RouteContext } from './context';

export function meRoutes(context: RouteContext): Router {
  const router = Router();
  router.get('/v1/me', context.requireAuth, (request, response) => {
    const { user, org } = context.services.accounts.me(principalOf(request));
    response.json({ user: userView(user), org: orgView(org), policy: policyOf(org) });
  });
  return router;
}
