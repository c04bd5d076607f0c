// GET /metrics (Prometheus text) and the middleware that observes every HTTP request by route
// template (never the raw path, which may carry ids) and status.
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../../services/metrics';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);

function routeTemplate(request: Request): string {
  const route: unknown = request.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') return `${request.baseUrl}${route.path}`;
  return 'unmatched';
}

/** The status proxies (nginx) record for a request whose client closed the connection first. */
const CLIENT_CLOSED = 499;

export function observeRequests(metrics: Metrics): RequestHandler {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    let done = false;
    const observe = (): void => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A response that never finished (its client left) is counted as 499, as proxies log it, not
      // as the status it was about to send or had started to stream.
      const status = response.writableFinished ? response.statusCode : CLIENT_CLOSED;
      metrics.observeRequest(METHODS.has(request.method) ? request.method : 'OTHER', routeTemplate(request), status, seconds);
    };
    response.on('finish', observe);
    response.on('close', observe);
    next();
  };
}

export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', (_request, response) => {
    response.status(200).set({ 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' }).send(metrics.render());
  });
  return router;
}
