// POST /v1/secrets/:id/verify: a live check of one personal key under a `verify` grant, or of a
// keyless entry with `{}`.
import { Router } from 'express';
import { IdParams } from '@byok/shared/wire/common';
import { VerifySecretRequest } from '@byok/shared/wire/secrets';
import type { KeyVerificationService } from '../../services/key-verification';
import { principalOf } from '../../services/principal';
import { requestIdOf } from '../middleware/request-id';
import { parseInput } from '../validate';
import type { RouteContext } from './context';

export function verifyRoutes(context: RouteContext, service: KeyVerificationService): Router {
  const router = Router();
  router.post('/v1/secrets/:id/verify', context.requireAuth, async (request, response) => {
    const principal = principalOf(request);
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(VerifySecretRequest, request.body);
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    const result = await service.verify(principal, id, body.grant, requestIdOf(request), controller.signal);
    response.json(result);
  });
  return router;
}
