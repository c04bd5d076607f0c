// The feature routes the real server mounts besides the core ones of app.ts (administration,
// usage, enrichment, verify...). Each feature adds its RouteMount here, once; main.ts and the
// test server both mount this list, so tests run the same application as production.
import type { RouteMount } from './app';
import { adminRoutes } from './http/routes/admin';

export const FEATURE_MOUNTS: readonly RouteMount[] = [(context) => adminRoutes(context)];
