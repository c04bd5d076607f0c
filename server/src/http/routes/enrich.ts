// POST /v1/enrich: JSON, or `text/event-stream` with `progress` frames then one `result` or `error`
// frame. Failures found before the first byte (schema, auth, grants, policy) are ordinary JSON
// errors. A client that goes away aborts the remaining provider calls.
import { Router } from 'express';
import type { Request, Response } from 'express';
import { AppError } from '@byok/shared';
import { EnrichRequest, hasPayloadTooLargeIssue } from '@byok/shared/wire/enrich';
import type { EnrichmentService } from '../../services/enrichment-service';
import { principalOf } from '../../services/principal';
import type { Logger } from '../../logger';
import type { StoredResponse } from '../../store/usage-store';
import { clientRequestId, REQUEST_ID_RULE, requestIdOf } from '../middleware/request-id';
import { toAppError } from '../middleware/error-handler';
import { describeIssues } from '../validate';
import type { RouteContext } from './context';

function parseEnrichBody(input: unknown): EnrichRequest {
  const result = EnrichRequest.safeParse(input);
  if (result.success) return result.data;
  if (hasPayloadTooLargeIssue(result.error)) throw new AppError('payload_too_large', 'input.text is over 2 MiB of UTF-8.');
  throw new AppError('bad_request', describeIssues(result.error, 'body'));
}

function wantsStream(request: Request): boolean {
  return (request.get('accept') ?? '').toLowerCase().includes('text/event-stream');
}

function frame(event: 'progress' | 'result' | 'error', data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function openStream(response: Response): void {
  response.status(200);
  response.set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
  response.flushHeaders();
}

function endStream(response: Response, stored: StoredResponse): void {
  response.end(frame(stored.status === 200 ? 'result' : 'error', stored.body));
}

export function enrichRoutes(context: RouteContext, service: EnrichmentService, logger: Logger): Router {
  const router = Router();
  router.post('/v1/enrich', context.requireAuth, async (request, response) => {
    const principal = principalOf(request);
    // Here the id is the idempotency key: one replaced in silence would bill a retry again.
    if (request.get('x-request-id') !== undefined && clientRequestId(request) === undefined) {
      throw new AppError('bad_request', `x-request-id: ${REQUEST_ID_RULE}.`);
    }
    const body = parseEnrichBody(request.body);
    const stream = wantsStream(request);
    const requestId = requestIdOf(request);
    const prepared = await service.prepare(principal, body, requestId, clientRequestId(request) !== undefined);

    if (prepared.kind === 'replay') {
      if (!stream) {
        response.status(prepared.response.status).json(prepared.response.body);
        return;
      }
      openStream(response);
      endStream(response, prepared.response);
      return;
    }

    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    if (response.destroyed) {
      prepared.dispose();
      return;
    }
    if (!stream) {
      const result = await prepared.run({ signal: controller.signal });
      if (result.aborted || response.destroyed) return;
      if (result.retryAfterSeconds !== undefined) response.setHeader('retry-after', String(result.retryAfterSeconds));
      response.status(result.status).json(result.body);
      return;
    }

    openStream(response);
    try {
      const result = await prepared.run({
        signal: controller.signal,
        onProgress: (event) => {
          if (!response.destroyed) response.write(frame('progress', event));
        },
      });
      if (result.aborted || response.destroyed) return;
      endStream(response, result);
    } catch (error) {
      // Headers are gone: the failure becomes the stream's error frame, with no internals, and the
      // same code and message a JSON answer would carry (a full disk says so).
      const mapped = toAppError(error);
      const known = mapped ?? new AppError('internal', 'Internal error.');
      if (mapped === undefined || known.status >= 500) logger.error({ requestId, err: error }, 'enrichment stream failed');
      if (!response.destroyed) response.end(frame('error', known.toBody()));
    }
  });
  return router;
}
