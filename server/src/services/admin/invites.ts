// Invites created by the operator (CLI): same rows and audit event as the HTTP route of the
// accounts service, with actor `cli`. Codes are single use; only their SHA-256 is stored.
import { randomBytes } from 'node:crypto';
import { AppError } from '@byok/shared';
import type { AccountsStore } from '../../store/accounts-store';
import type { Db } from '../../store/db';
import type { AuditService } from '../audit';
import { hashToken } from '../tokens';
import { auditActorOf } from './actor';
import type { AdminActor } from './actor';

export interface CreatedInvite {
  code: string;
  role: 'admin' | 'member';
  expiresAt: string;
}

export class InvitesService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountsStore,
    private readonly audit: AuditService,
  ) {}

  create(orgId: string, actor: AdminActor, input: { role: 'admin' | 'member'; expiresInHours: number }): CreatedInvite {
    if (!Number.isInteger(input.expiresInHours) || input.expiresInHours < 1 || input.expiresInHours > 24 * 30) {
      throw new AppError('bad_request', 'expiresInHours must be a whole number of hours from 1 to 720.');
    }
    const code = randomBytes(18).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + input.expiresInHours * 3_600_000).toISOString();
    this.db
      .transaction(() => {
        if (!this.accounts.getOrg(orgId)) throw new AppError('not_found', 'No such organization.');
        this.accounts.insertInvite({ codeHash: hashToken(code), orgId, role: input.role, expiresAt, usedAt: null, createdBy: auditActorOf(actor), createdAt: now.toISOString() });
        this.audit.append({ orgId, actor: auditActorOf(actor), action: 'member.invited', target: orgId, detail: { role: input.role, expiresAt } });
      })
      .immediate();
    return { code, role: input.role, expiresAt };
  }
}
