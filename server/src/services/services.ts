// Builds every service from its dependencies (config, database, data-dir identity): the one
// place the object graph is wired, used by main.ts and the test server alike.
import type { Config } from '../config';
import { AccountsStore } from '../store/accounts-store';
import type { Db } from '../store/db';
import { GroupCommit } from '../store/group-commit';
import { JtiStore } from '../store/jti-store';
import { SecretsStore } from '../store/secrets-store';
import { AccountsService } from './accounts';
import { OrgSecretsStore } from './admin/org-secrets-store';
import { AuditService } from './audit';
import { dummyAuthHash } from './auth-hash';
import { GrantKeyService } from './grant-keys';
import { GrantsService } from './grants';
import { loadMasterKek } from './master-kek';
import type { MasterKek } from './master-kek';
import { SecretsService } from './secrets';
import { loadServerIdentity } from './server-identity';
import type { ServerIdentity } from './server-identity';
import { TokenService } from './tokens';

export interface Services {
  identity: ServerIdentity;
  accountsStore: AccountsStore;
  secretsStore: SecretsStore;
  audit: AuditService;
  tokens: TokenService;
  accounts: AccountsService;
  secrets: SecretsService;
  grantKeys: GrantKeyService;
  grants: GrantsService;
  masterKek: MasterKek;
  /** Used grant ids (grant_jti), for personal-key grants and org-key uploads alike. */
  jtis: JtiStore;
  /** The batched write path of the per-request rows (jtis, usage): see store/group-commit.ts. */
  commits: GroupCommit;
  /** Starts the background timers (grant-key rotation, jti purge). */
  start(): void;
  /** Stops them; the database is closed by its owner. */
  stop(): void;
}

export async function createServices(config: Config, db: Db): Promise<Services> {
  const identity = await loadServerIdentity(config.dataDir);
  const accountsStore = new AccountsStore(db);
  const secretsStore = new SecretsStore(db);
  const audit = new AuditService(db);
  const tokens = new TokenService(identity);
  const grantKeys = await GrantKeyService.open(config.dataDir, identity.audience);
  const commits = new GroupCommit(db);
  const jtis = new JtiStore(db);
  const grants = new GrantsService(jtis, secretsStore, grantKeys, audit, commits);
  // The same rule as the CLI's master-key rotate: never generate master.key under organization keys.
  const orgSecretsStore = new OrgSecretsStore(db);
  const masterKek = await loadMasterKek({
    dataDir: config.dataDir,
    masterKey: config.masterKey,
    orgKeysExist: () => orgSecretsStore.listWrapped().length > 0,
  });
  const accounts = new AccountsService(db, accountsStore, secretsStore, audit, tokens, {
    openSignup: config.openSignup,
    defaultPlan: config.defaultPlan,
    preloginSecret: identity.preloginSecret,
  });
  const secrets = new SecretsService(db, secretsStore, orgSecretsStore, accountsStore, audit, config.providerBaseUrls);
  grants.purgeExpired();
  // Made now so that the first unknown-email login costs what every other login costs.
  await dummyAuthHash();
  return {
    identity,
    accountsStore,
    secretsStore,
    audit,
    tokens,
    accounts,
    secrets,
    grantKeys,
    grants,
    masterKek,
    jtis,
    commits,
    start() {
      grantKeys.startTimer();
      grants.startPurgeTimer();
    },
    stop() {
      grantKeys.stopTimer();
      grants.stopPurgeTimer();
    },
  };
}
