// GET /v1/admin/usage (owner and admin): usage of the whole organization, grouped by day,
// provider, model, source or member, optionally for one member.
import { Router } from 'express';
import { AdminUsageQuery } from '@byok/shared/wire/admin';
import type { AdminServices } from '../../services/admin/admin-services';
import { principalOf } from '../../services/principal';
import { parseInput } from '../validate';
import { requireAdmin } from './admin-access';
import type { RouteContext } from './context';

export function adminUsageRoutes(context: RouteContext, admin: AdminServices): Router {
  const router = Router();
  // Mounted inside adminRoutes, behind its owner/admin gate; the gate is repeated so the router
  // is safe on its own too.
  router.get('/v1/admin/usage', context.requireAuth, requireAdmin, (request, response) => {
    const query = parseInput(AdminUsageQuery, request.query, 'query');
    response.json(admin.usage.report(principalOf(request).orgId, query));
  });
  return router;
}
