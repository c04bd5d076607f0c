// GET /v1/usage (the caller's totals, groups and recent calls) and GET /v1/usage.csv (one row per
// call). Both default to the current UTC month; `to` is exclusive.
import { Router } from 'express';
import type { Response } from 'express';
import { UsageCsvQuery, UsageQuery, resolveUsageRange } from '@byok/shared/wire/usage';
import type { AdminUsageService } from '../../services/admin/admin-usage';
import { principalOf } from '../../services/principal';
import { USAGE_CSV_HEADER, usageCsvLines } from '../../services/usage-csv';
import type { UsagePosition, UsageStore } from '../../store/usage-store';
import { parseInput } from '../validate';
import type { RouteContext } from './context';

/** Resolves when `response` can take more, or has closed (a client that left never drains). */
function drainedOrClosed(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** Rows per page of the CSV export (~150 bytes each). */
export const CSV_PAGE_ROWS = 2_000;

export function usageRoutes(context: RouteContext, reports: AdminUsageService, store: UsageStore): Router {
  const router = Router();
  router.get('/v1/usage', context.requireAuth, (request, response) => {
    const principal = principalOf(request);
    const query = parseInput(UsageQuery, request.query, 'query');
    const report = reports.report(principal.orgId, { ...query, userId: principal.userId });
    // The member's own view: rows are theirs, the member id adds nothing.
    const recent = report.recent.map(({ userId: _userId, ...row }) => row);
    response.json({ ...report, recent });
  });
  router.get('/v1/usage.csv', context.requireAuth, async (request, response) => {
    const principal = principalOf(request);
    const query = parseInput(UsageCsvQuery, request.query, 'query');
    const range = resolveUsageRange(query);
    response
      .status(200)
      .set({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="usage.csv"', 'cache-control': 'no-store' });
    // Streamed a page at a time, yielding between pages: an export of years of calls neither holds
    // every row in memory nor keeps other requests waiting while it is read.
    let chunk = USAGE_CSV_HEADER;
    let after: UsagePosition | null = null;
    for (;;) {
      const page = store.rowsForUserPage(principal.userId, range.from, range.to, after, CSV_PAGE_ROWS);
      chunk += usageCsvLines(page.rows);
      if (page.next === null || page.rows.length < CSV_PAGE_ROWS) break;
      after = page.next;
      const drained = response.write(chunk);
      chunk = '';
      if (response.destroyed) return;
      if (!drained) await drainedOrClosed(response);
      else await new Promise((resolve) => setImmediate(resolve));
      if (response.destroyed) return;
    }
    response.end(chunk);
  });
  return router;
}
