// What a CLI command works with: the data directory's database (migrated, as the server opens
// it), the stores and the administration services, and the organization it acts on.
import { AppError } from '@byok/shared';
import type { Db } from '../store/db';
import { openDatabase } from '../store/db';
import { AccountsStore } from '../store/accounts-store';
import type { OrgRecord } from '../store/accounts-store';
import { AuditService } from '../services/audit';
import { InvitesService } from '../services/admin/invites';
import { MembersService } from '../services/admin/members';
import { OrgAdminStore } from '../services/admin/org-admin-store';
import { OrgSecretsStore } from '../services/admin/org-secrets-store';
import { PolicyAdminService } from '../services/admin/policy-admin';
import type { Output } from './output';

export interface CliContext {
  dataDir: string;
  env: Record<string, string | undefined>;
  out: Output;
  db: Db;
  accounts: AccountsStore;
  audit: AuditService;
  orgs: OrgAdminStore;
  orgSecrets: OrgSecretsStore;
  policy: PolicyAdminService;
  members: MembersService;
  invites: InvitesService;
  /** The organization named by --org, or the default (first) organization. */
  org(id?: string): OrgRecord;
  close(): void;
}

export function openCliContext(dataDir: string, env: Record<string, string | undefined>, out: Output): CliContext {
  const db = openDatabase(dataDir);
  const accounts = new AccountsStore(db);
  const audit = new AuditService(db);
  const orgs = new OrgAdminStore(db);
  return {
    dataDir,
    env,
    out,
    db,
    accounts,
    audit,
    orgs,
    orgSecrets: new OrgSecretsStore(db),
    policy: new PolicyAdminService(db, accounts, orgs, audit),
    members: new MembersService(db, orgs, audit),
    invites: new InvitesService(db, accounts, audit),
    org(id) {
      const org = id === undefined ? accounts.defaultOrg() : accounts.getOrg(id);
      if (!org) {
        throw new AppError('not_found', id === undefined ? 'There is no organization yet: the first registration creates it.' : 'No such organization.');
      }
      return org;
    },
    close() {
      db.close();
    },
  };
}
