// The administration services wired from the core's: policy, members, invites (CLI), organization
// keys, audit reading. Built once per process by whoever holds the database (server or CLI).
import type { Db } from '../../store/db';
import type { AccountsStore } from '../../store/accounts-store';
import type { AuditService } from '../audit';
import type { MasterKek } from '../master-kek';
import { AdminUsageService } from './admin-usage';
import { InvitesService } from './invites';
import { MembersService } from './members';
import { OrgAdminStore } from './org-admin-store';
import { OrgSecretsService } from './org-secrets';
import type { GrantKeyOpener } from './org-secrets';
import type { JtiStore } from '../../store/jti-store';
import { OrgSecretsStore } from './org-secrets-store';
import { PolicyAdminService } from './policy-admin';
import type { OperatorBaseUrls } from '../policy';

export interface AdminServices {
  db: Db;
  audit: AuditService;
  orgStore: OrgAdminStore;
  orgSecretsStore: OrgSecretsStore;
  policy: PolicyAdminService;
  members: MembersService;
  invites: InvitesService;
  orgSecrets: OrgSecretsService;
  usage: AdminUsageService;
}

export interface AdminServiceDeps {
  accountsStore: AccountsStore;
  audit: AuditService;
  grantKeys: GrantKeyOpener;
  jtis: JtiStore;
  masterKek: MasterKek;
  operatorBaseUrls: OperatorBaseUrls;
}

export function createAdminServices(db: Db, deps: AdminServiceDeps): AdminServices {
  const orgStore = new OrgAdminStore(db);
  const orgSecretsStore = new OrgSecretsStore(db);
  return {
    db,
    audit: deps.audit,
    orgStore,
    orgSecretsStore,
    policy: new PolicyAdminService(db, deps.accountsStore, orgStore, deps.audit),
    members: new MembersService(db, orgStore, deps.audit),
    invites: new InvitesService(db, deps.accountsStore, deps.audit),
    orgSecrets: new OrgSecretsService(db, deps.accountsStore, orgSecretsStore, deps.audit, deps.grantKeys, deps.jtis, deps.masterKek, deps.operatorBaseUrls),
    usage: new AdminUsageService(db),
  };
}
