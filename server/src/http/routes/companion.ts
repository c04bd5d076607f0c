// Wires the enrichment side of the companion (issue 3) from the core's context and database:
// the guarded outbound client, provider adapters, routing, usage, verification and metrics.
// createApp mounts `observe` before every route and `router` with the other routes.
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { providerTimeouts } from '../../config';
import type { Db } from '../../store/db';
import type { Logger } from '../../logger';
import { createOutboundClient } from '../../outbound/guarded-client';
import type { OutboundClient } from '../../outbound/guarded-client';
import { observeAdapters } from '../../providers/observed-adapters';
import { createProviderAdapters } from '../../providers/registry';
import { AdminUsageService } from '../../services/admin/admin-usage';
import { OrgSecretsService } from '../../services/admin/org-secrets';
import { OrgSecretsStore } from '../../services/admin/org-secrets-store';
import { EnrichmentService } from '../../services/enrichment-service';
import { KeyVerificationService } from '../../services/key-verification';
import { Metrics } from '../../services/metrics';
import { loadPlatformKeys } from '../../services/platform-keys';
import { PlatformReservations } from '../../services/platform-reservations';
import { UsageStore } from '../../store/usage-store';
import type { RouteContext } from './context';
import { enrichRoutes } from './enrich';
import { metricsRoutes, observeRequests } from './metrics';
import { usageRoutes } from './usage';
import { verifyRoutes } from './verify';

export interface Companion {
  readonly metrics: Metrics;
  /** Observes every request for /metrics; mount before the routes. */
  readonly observe: RequestHandler;
  readonly router: Router;
  readonly outbound: OutboundClient;
}

export function createCompanion(context: RouteContext, db: Db, logger: Logger): Companion {
  const { config, services } = context;
  const metrics = new Metrics();
  const outbound = createOutboundClient({ timeoutMs: config.providerTimeoutMs, maxConnectionsPerOrigin: config.providerMaxConnections });
  // All origins together: an origin is not a label, since base URLs can be a user's own.
  metrics.sample('byok_outbound_calls_active', 'gauge', 'Provider calls in the HTTP client now (each holds a place of its origin\'s BYOK_PROVIDER_MAX_CONNECTIONS).', () => [{ labels: {}, value: outbound.totals().active }]);
  metrics.sample('byok_outbound_calls_waiting', 'gauge', 'Provider calls waiting for a place at their origin now.', () => [{ labels: {}, value: outbound.totals().waiting }]);
  metrics.sample('byok_outbound_waits_total', 'counter', 'Provider calls that found no place at their origin at once, by how that ended: placed later, gave_up (timed out or aborted in line), busy (line full, refused).', () => {
    const { waits } = outbound.totals();
    return [
      { labels: { result: 'placed' }, value: waits.placed },
      { labels: { result: 'gave_up' }, value: waits.gaveUp },
      { labels: { result: 'busy' }, value: waits.busy },
    ];
  });
  const adapters = observeAdapters(createProviderAdapters(outbound, { azureApiVersion: config.azureApiVersion }), (provider, outcome, seconds) => metrics.observeProviderCall(provider, outcome, seconds));
  const timeoutFor = providerTimeouts(config);
  const usage = new UsageStore(db);
  const orgSecretsStore = new OrgSecretsStore(db);
  const orgSecrets = new OrgSecretsService(db, services.accountsStore, orgSecretsStore, services.audit, services.grantKeys, services.jtis, services.masterKek, config.providerBaseUrls);
  const platformKeys = loadPlatformKeys(config.platformKeysFile);
  const enrichment = new EnrichmentService({
    grants: services.grants,
    accountsStore: services.accountsStore,
    secretsStore: services.secretsStore,
    secrets: services.secrets,
    orgSecretsStore,
    orgSecrets,
    usage,
    commits: services.commits,
    reservations: new PlatformReservations(),
    adapters,
    platformKeys,
    operatorBaseUrls: config.providerBaseUrls,
    timeoutFor,
    logger,
  });
  const verification = new KeyVerificationService({
    grants: services.grants,
    accountsStore: services.accountsStore,
    secretsStore: services.secretsStore,
    audit: services.audit,
    usage,
    adapters,
    operatorBaseUrls: config.providerBaseUrls,
    timeoutFor,
  });
  const router = Router();
  router.use(metricsRoutes(metrics));
  router.use(enrichRoutes(context, enrichment, logger));
  router.use(verifyRoutes(context, verification));
  router.use(usageRoutes(context, new AdminUsageService(db), usage));
  return { metrics, observe: observeRequests(metrics), router, outbound };
}
