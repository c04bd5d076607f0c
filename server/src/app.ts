// createApp: the Express application from its dependencies (no globals): security headers, CORS,
// request ids, rate limits, body limits, the routes, and one error handler.
import express from 'express';
import type { Express, Router } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Services } from './services/services';
import type { Db } from './store/db';
import { requireAuth } from './http/middleware/auth';
import type { AuthMiddleware } from './http/middleware/auth';
import { jsonBody } from './http/middleware/body';
import { errorHandler, notFound } from './http/middleware/error-handler';
import { createRateLimiters, DEFAULT_RATE_LIMITS } from './http/middleware/rate-limit';
import type { RateLimitSettings, RateLimiters } from './http/middleware/rate-limit';
import { requestId, requestIdOf } from './http/middleware/request-id';
import { adminInviteRoutes } from './http/routes/admin-invites';
import { auditRoutes } from './http/routes/audit';
import { authRoutes } from './http/routes/auth';
import type { RouteContext } from './http/routes/context';
import { discoveryRoutes } from './http/routes/discovery';
import { meRoutes } from './http/routes/me';
import { secretsRoutes } from './http/routes/secrets';
import { createCompanion } from './http/routes/companion';

/**
 * Routes another module adds (enrichment, usage, admin, tests), mounted before the 404 handler.
 * Called once per app instance, so `context` always holds the current services and database.
 */
export type RouteMount = (context: RouteContext) => Router;

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  services: Services;
  version: string;
  mounts?: RouteMount[];
  /** `METHOD path` pairs that get the large body limit (default: POST /v1/enrich). */
  largeBodyRoutes?: ReadonlySet<string>;
  rateLimits?: RateLimitSettings;
}

/** The extension's origins when BYOK_ALLOWED_ORIGINS is not set. */
export const DEFAULT_ORIGIN_PATTERN = /^(chrome|moz)-extension:\/\/[a-z0-9-]+$/;

export function createApp(deps: AppDeps): Express & { context: RouteContext } {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  // No computed ETag (a hash of every JSON body): no route relies on it. Routes that need one
  // (the secrets' version) set it themselves, and conditional requests still honour it.
  app.set('etag', false);

  const limiters: RateLimiters = createRateLimiters(deps.config.rateLimits, deps.rateLimits ?? DEFAULT_RATE_LIMITS);
  const auth: AuthMiddleware = requireAuth(deps.services.tokens, deps.services.accountsStore);
  const context: RouteContext = { config: deps.config, db: deps.db, services: deps.services, requireAuth: auth, limiters, version: deps.version };

  app.use(requestId());
  // Enrichment, verify, usage and /metrics (issue 3); `observe` times every request.
  const companion = createCompanion(context, deps.db, deps.logger);
  app.use(companion.observe);
  app.use(helmet());
  const allowed = deps.config.allowedOrigins;
  app.use(
    cors({
      origin: (origin, callback) => {
        if (origin === undefined) return callback(null, false);
        callback(null, allowed === null ? DEFAULT_ORIGIN_PATTERN.test(origin) : allowed.includes(origin));
      },
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'if-match', 'x-request-id', 'accept'],
      exposedHeaders: ['x-request-id', 'etag', 'retry-after', 'ratelimit', 'ratelimit-policy'],
      maxAge: 600,
    }),
  );
  app.use((request, response, next) => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      deps.logger.info(
        {
          requestId: requestIdOf(request),
          method: request.method,
          path: request.path,
          status: response.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });
  app.use(limiters.api);
  app.use(jsonBody(auth, deps.largeBodyRoutes));

  // First: POST /v1/enrich is by far the busiest route, and Express tries routers in order. No
  // path of the companion router overlaps another router's.
  app.use(companion.router);
  app.use(discoveryRoutes(context));
  app.use(authRoutes(context));
  app.use(meRoutes(context));
  app.use(secretsRoutes(context));
  app.use(auditRoutes(context));
  app.use(adminInviteRoutes(context));
  for (const mount of deps.mounts ?? []) app.use(mount(context));

  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return Object.assign(app, { context });
}
