// GET /v1/usage (the caller's totals, groups and recent calls) and GET /v1/usage.csv (one row per
// call). Both default to the current UTC month; `to` is exclusive.
import { Router } from 'express';
import { UsageCsvQuery, UsageQuery, resolveUsageRange } from '@byok/shared/wire/usage';
import type { AdminUsageService } from '../../services/admin/admin-usage';
import { principalOf } from '../../services/principal';
import { usageCsv } from '../../services/usage-csv';
import type { UsageStore } from '../../store/usage-store';
import { parseInput } from '../validate';
import type { RouteContext } from './context';

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
  router.get('/v1/usage.csv', context.requireAuth, (request, response) => {
    const principal = principalOf(request);
    const query = parseInput(UsageCsvQuery, request.query, 'query');
    const range = resolveUsageRange(query);
    response
      .status(200)
      .set({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="usage.csv"', 'cache-control': 'no-store' })
      .send(usageCsv(store.rowsForUser(principal.userId, range.from, range.to)));
  });
  return router;
}
