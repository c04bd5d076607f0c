// /v1/secrets: list, store/rotate, patch, delete (each with ETag / If-Match) and order of personal keys.
import { Router } from 'express';
import type { Response } from 'express';
import { IdParams } from '@byok/shared/wire/common';
import { PatchSecretRequest, PutOrderRequest, PutSecretRequest } from '@byok/shared/wire/secrets';
import { parseIfMatch } from '../../services/key-view';
import type { SecretView } from '../../services/secrets';
import { principalOf } from '../../services/principal';
import { EmptyBody, parseInput } from '../validate';
import type { RouteContext } from './context';

function sendSecret(response: Response, status: number, secret: SecretView): void {
  response.setHeader('etag', `"${secret.version}"`);
  response.status(status).json({ secret });
}

export function secretsRoutes(context: RouteContext): Router {
  const router = Router();
  const { secrets } = context.services;
  router.use('/v1/secrets', context.requireAuth);

  router.get('/v1/secrets', (request, response) => {
    response.json(secrets.list(principalOf(request)));
  });
  // Registered before /:id so that "order" is never taken for an id.
  router.put('/v1/secrets/order', (request, response) => {
    const body = parseInput(PutOrderRequest, request.body);
    response.json(secrets.reorder(principalOf(request), body.ids));
  });
  router.put('/v1/secrets/:id', (request, response) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(PutSecretRequest, request.body);
    const ifMatch = parseIfMatch(request.get('if-match'));
    const result = secrets.put(principalOf(request), id, body, ifMatch);
    sendSecret(response, result.created ? 201 : 200, result.secret);
  });
  router.patch('/v1/secrets/:id', (request, response) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(PatchSecretRequest, request.body);
    const ifMatch = parseIfMatch(request.get('if-match'));
    sendSecret(response, 200, secrets.patch(principalOf(request), id, body, ifMatch));
  });
  router.delete('/v1/secrets/:id', (request, response) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    parseInput(EmptyBody, request.body);
    secrets.delete(principalOf(request), id, parseIfMatch(request.get('if-match')));
    response.status(204).end();
  });
  return router;
}
