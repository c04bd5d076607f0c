// GET /v1/audit: the caller's own events, newest first; `before` is an event id (exclusive).
import { Router } from 'express';
import { z } from 'zod';
import type { AuditEvent } from '../../services/audit';
import { principalOf } from '../../services/principal';
import { parseInput } from '../validate';
import type { RouteContext } from './context';

// Local schema: event ids are integers here (shared/wire/audit.ts types them as UUIDs). The admin
// list pages the same way and extends it with filters.
export const AuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** An event as both audit lists answer it (the admin list adds the chain hashes); no provider key when there is none. */
export function auditEventBody(event: AuditEvent) {
  return {
    id: event.id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    target: event.target,
    ...(event.provider === null ? {} : { provider: event.provider }),
    detail: event.detail,
  };
}

export function auditRoutes(context: RouteContext): Router {
  const router = Router();
  router.get('/v1/audit', context.requireAuth, (request, response) => {
    const query = parseInput(AuditQuery, request.query, 'query');
    const events = context.services.audit.listForActor(principalOf(request).userId, query);
    response.json({ events: events.map(auditEventBody) });
  });
  return router;
}
