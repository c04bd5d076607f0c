// SQL of the administration services over the foundation tables: organizations (plan, policy),
// members (roles, removal) and their sessions. Synchronous; services choose the transactions.
import type { PlanId } from '@byok/shared/plans/plans';
import type { Policy } from '@byok/shared/plans/policy';
import type { Role } from '@byok/shared/wire/accounts';
import type { Db } from '../../store/db';

export interface MemberRecord {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  createdAt: string;
  lastSeenAt: string | null;
}

export interface OrgSummary {
  id: string;
  name: string;
  plan: PlanId;
  createdAt: string;
  members: number;
}

const MEMBER_COLUMNS = 'id, org_id AS orgId, email, role, created_at AS createdAt, last_seen_at AS lastSeenAt';

export class OrgAdminStore {
  constructor(private readonly db: Db) {}

  listOrgs(): OrgSummary[] {
    return this.db
      .prepare(
        `SELECT o.id, o.name, o.plan, o.created_at AS createdAt,
                (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id) AS members
         FROM orgs o ORDER BY o.created_at ASC, o.rowid ASC`,
      )
      .all() as OrgSummary[];
  }

  setPolicy(orgId: string, policy: Policy | null): void {
    this.db.prepare('UPDATE orgs SET policy = ? WHERE id = ?').run(policy === null ? null : JSON.stringify(policy), orgId);
  }

  setPlan(orgId: string, plan: PlanId): void {
    this.db.prepare('UPDATE orgs SET plan = ? WHERE id = ?').run(plan, orgId);
  }

  listMembers(orgId: string): MemberRecord[] {
    return this.db.prepare(`SELECT ${MEMBER_COLUMNS} FROM users WHERE org_id = ? ORDER BY created_at ASC, email ASC`).all(orgId) as MemberRecord[];
  }

  /** A member of `orgId`; another organization's user is "not found". */
  getMember(orgId: string, userId: string): MemberRecord | undefined {
    return this.db.prepare(`SELECT ${MEMBER_COLUMNS} FROM users WHERE id = ? AND org_id = ?`).get(userId, orgId) as MemberRecord | undefined;
  }

  getMemberByEmail(orgId: string, email: string): MemberRecord | undefined {
    return this.db.prepare(`SELECT ${MEMBER_COLUMNS} FROM users WHERE email = ? AND org_id = ?`).get(email, orgId) as MemberRecord | undefined;
  }

  countOwners(orgId: string): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM users WHERE org_id = ? AND role = 'owner'").get(orgId) as { n: number }).n;
  }

  setRole(userId: string, role: Role): void {
    this.db.prepare('UPDATE users SET role = ? WHERE id = ?').run(role, userId);
  }

  /** Deletes the user's personal keys (rows and ciphertext; secure_delete is on) and says which. */
  deletePersonalKeys(userId: string): { id: string; provider: string }[] {
    const keys = this.db.prepare('SELECT id, provider FROM secrets WHERE user_id = ? ORDER BY position').all(userId) as {
      id: string;
      provider: string;
    }[];
    this.db.prepare('DELETE FROM secrets WHERE user_id = ?').run(userId);
    return keys;
  }

  /** Revokes every login family and refresh token of the user. */
  revokeSessions(userId: string, at: string): void {
    this.db.prepare('UPDATE auth_families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(at, userId);
    this.db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(at, userId);
  }

  /** Deletes the account itself; its families and tokens go with it (ON DELETE CASCADE). */
  deleteUser(userId: string): void {
    this.db.prepare('DELETE FROM users WHERE id = ?').run(userId);
  }
}
