// /v1/admin (owner and admin): policy, members, organization keys, the audit log and its check.
// Invites are the accounts routes' (admin-invites.ts); usage is admin-usage.ts.
import { Router } from 'express';
import { IdParams } from '@byok/shared/wire/common';
import { AdminAuditQuery, PatchMemberRequest, PutOrgSecretRequest, PutPolicyRequest } from '@byok/shared/wire/admin';
import { createAdminServices } from '../../services/admin/admin-services';
import type { AdminServices } from '../../services/admin/admin-services';
import { principalOf } from '../../services/principal';
import { parseIfMatch } from '../../services/key-view';
import { EmptyBody, parseInput } from '../validate';
import { adminActorOf, requireAdmin } from './admin-access';
import { adminUsageRoutes } from './admin-usage';
import { auditEventBody } from './audit';
import type { RouteContext } from './context';

/** Every /v1/admin route but invites (admin-invites.ts); services built from the app's database. */
export function adminRoutes(context: RouteContext, admin: AdminServices = createAdminServices(context.db, { ...context.services, operatorBaseUrls: context.config.providerBaseUrls })): Router {
  const router = Router();
  router.use('/v1/admin', context.requireAuth, requireAdmin);
  router.use(adminUsageRoutes(context, admin));

  router.get('/v1/admin/policy', (request, response) => {
    response.json({ policy: admin.policy.effectivePolicyFor(principalOf(request).orgId) });
  });
  router.put('/v1/admin/policy', (request, response) => {
    const principal = principalOf(request);
    const body = parseInput(PutPolicyRequest, request.body);
    response.json({ policy: admin.policy.put(principal.orgId, adminActorOf(principal), body.policy) });
  });

  router.get('/v1/admin/members', (request, response) => {
    response.json({ members: admin.members.list(principalOf(request).orgId) });
  });
  router.patch('/v1/admin/members/:id', (request, response) => {
    const principal = principalOf(request);
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(PatchMemberRequest, request.body);
    response.json({ member: admin.members.changeRole(principal.orgId, adminActorOf(principal), id, body.role) });
  });
  router.delete('/v1/admin/members/:id', (request, response) => {
    const principal = principalOf(request);
    const { id } = parseInput(IdParams, request.params, 'path');
    parseInput(EmptyBody, request.body);
    admin.members.remove(principal.orgId, adminActorOf(principal), id);
    response.status(204).end();
  });

  router.get('/v1/admin/org-secrets', (request, response) => {
    response.json({ secrets: admin.orgSecrets.list(principalOf(request).orgId) });
  });
  router.put('/v1/admin/org-secrets/:id', async (request, response) => {
    const principal = principalOf(request);
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(PutOrgSecretRequest, request.body);
    const ifMatch = parseIfMatch(request.get('if-match'));
    const result = await admin.orgSecrets.put(principal.orgId, principal.userId, id, body, ifMatch);
    response.setHeader('etag', `"${result.secret.version}"`);
    response.status(result.created ? 201 : 200).json({ secret: result.secret });
  });
  router.delete('/v1/admin/org-secrets/:id', (request, response) => {
    const principal = principalOf(request);
    const { id } = parseInput(IdParams, request.params, 'path');
    parseInput(EmptyBody, request.body);
    admin.orgSecrets.delete(principal.orgId, principal.userId, id, parseIfMatch(request.get('if-match')));
    response.status(204).end();
  });

  router.get('/v1/admin/audit', (request, response) => {
    const query = parseInput(AdminAuditQuery, request.query, 'query');
    const events = admin.audit.listForOrg(principalOf(request).orgId, query);
    response.json({
      events: events.map((event) => ({
        ...auditEventBody(event),
        hash: event.hash,
        prevHash: event.prevHash,
      })),
    });
  });
  router.get('/v1/admin/audit/verify', (request, response) => {
    response.json(admin.audit.verifyChain(principalOf(request).orgId));
  });
  return router;
}
