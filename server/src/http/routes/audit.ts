// GET /v1/audit: the caller's own events, newest first; `before` is an event id (exclusive).
import { Router } from 'express';
import { AuditListQuery } from '@byok/shared/wire/audit';
import type { AuditEvent } from '../../services/audit';
import { principalOf } from '../../services/principal';
import { parseInput } from '../validate';
import type { RouteContext } from './context';

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
    const query = parseInput(AuditListQuery, request.query, 'query');
    const events = context.services.audit.listForActor(principalOf(request).userId, query);
    response.json({ events: events.map(auditEventBody) });
  });
  return router;
}
