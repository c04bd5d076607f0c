// Unauthenticated discovery: health, the provider catalog, the grant keys and the OpenAPI document.
import { Router } from 'express';
import { providersResponse } from '@byok/shared/wire/discovery';
import { buildOpenApiDocument } from '@byok/shared/openapi';
import type { RouteContext } from './context';

export function discoveryRoutes(context: RouteContext): Router {
  const router = Router();
  router.get('/healthz', (_request, response) => {
    response.json({ ok: true, version: context.version });
  });
  router.get('/v1/providers', (_request, response) => {
    response.json(providersResponse());
  });
  router.get('/v1/grant-keys', (_request, response) => {
    // Clients should refetch after rotation; a short cache keeps them close to the current key.
    response.setHeader('cache-control', 'public, max-age=60');
    response.json(context.services.grantKeys.keySet());
  });
  // Built once: the document is a pure function of the wire schemas and the version.
  let openApi: unknown;
  router.get('/v1/openapi.json', (_request, response) => {
    openApi ??= buildOpenApiDocument(context.version);
    response.json(openApi);
  });
  return router;
}
