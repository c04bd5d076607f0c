// Rows of the account tables: organizations, users, login families, refresh tokens and invites.
// Plain synchronous queries; services decide which run together in one transaction.
import type { KdfParams } from '@byok/shared';
import type { PlanId } from '@byok/shared/plans/plans';
import type { Policy } from '@byok/shared/plans/policy';
import type { Role } from '@byok/shared/wire/accounts';
import type { Db } from './db';
import { StatementCache } from './statement-cache';

export interface OrgRecord {
  id: string;
  name: string;
  plan: PlanId;
  policy: Policy | null;
  createdAt: string;
}

export interface UserRecord {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  kdf: KdfParams;
  authHash: string;
  createdAt: string;
  lastSeenAt: string | null;
}

export interface RefreshTokenRecord {
  hash: string;
  familyId: string;
  userId: string;
  usedAt: string | null;
  revokedAt: string | null;
  expiresAt: string;
  familyRevokedAt: string | null;
}

export interface InviteRecord {
  codeHash: string;
  orgId: string;
  role: 'admin' | 'member';
  expiresAt: string;
  usedAt: string | null;
}

interface OrgRow {
  id: string;
  name: string;
  plan: PlanId;
  policy: string | null;
  created_at: string;
}

interface UserRow {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  kdf: string;
  auth_hash: string;
  created_at: string;
  last_seen_at: string | null;
}

function toOrg(row: OrgRow): OrgRecord {
  return {
    id: row.id,
    name: row.name,
    plan: row.plan,
    policy: row.policy === null ? null : (JSON.parse(row.policy) as Policy),
    createdAt: row.created_at,
  };
}

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    role: row.role,
    kdf: JSON.parse(row.kdf) as KdfParams,
    authHash: row.auth_hash,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

export class AccountsStore {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  countOrgs(): number {
    return (this.statements.prepare('SELECT COUNT(*) AS n FROM orgs').get() as { n: number }).n;
  }

  /** The default organization: the first one created. */
  defaultOrg(): OrgRecord | undefined {
    const row = this.statements.prepare('SELECT * FROM orgs ORDER BY created_at ASC, rowid ASC LIMIT 1').get() as OrgRow | undefined;
    return row && toOrg(row);
  }

  getOrg(id: string): OrgRecord | undefined {
    const row = this.statements.prepare('SELECT * FROM orgs WHERE id = ?').get(id) as OrgRow | undefined;
    return row && toOrg(row);
  }

  insertOrg(org: OrgRecord): void {
    this.statements
      .prepare('INSERT INTO orgs (id, name, plan, policy, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(org.id, org.name, org.plan, org.policy === null ? null : JSON.stringify(org.policy), org.createdAt);
  }

  getUser(id: string): UserRecord | undefined {
    const row = this.statements.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row && toUser(row);
  }

  getUserByEmail(email: string): UserRecord | undefined {
    const row = this.statements.prepare('SELECT * FROM users WHERE email = ?').get(email) as UserRow | undefined;
    return row && toUser(row);
  }

  insertUser(user: UserRecord): void {
    this.statements
      .prepare(
        `INSERT INTO users (id, org_id, email, role, kdf, auth_hash, created_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(user.id, user.orgId, user.email, user.role, JSON.stringify(user.kdf), user.authHash, user.createdAt, user.lastSeenAt);
  }

  updateCredentials(userId: string, kdf: KdfParams, authHash: string): void {
    this.statements.prepare('UPDATE users SET kdf = ?, auth_hash = ? WHERE id = ?').run(JSON.stringify(kdf), authHash, userId);
  }

  touchUser(userId: string, at: string): void {
    this.statements.prepare('UPDATE users SET last_seen_at = ? WHERE id = ?').run(at, userId);
  }

  insertFamily(id: string, userId: string, at: string): void {
    this.statements.prepare('INSERT INTO auth_families (id, user_id, created_at) VALUES (?, ?, ?)').run(id, userId, at);
  }

  revokeFamily(id: string, at: string): void {
    this.statements.prepare('UPDATE auth_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    this.statements.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL').run(at, id);
  }

  revokeOtherFamilies(userId: string, keepFamilyId: string, at: string): void {
    const families = this.statements
      .prepare('SELECT id FROM auth_families WHERE user_id = ? AND id <> ? AND revoked_at IS NULL')
      .all(userId, keepFamilyId) as { id: string }[];
    for (const family of families) this.revokeFamily(family.id, at);
  }

  /** The session behind an access token: a live user in a family that is not revoked. */
  liveSession(userId: string, familyId: string): { orgId: string; role: Role } | undefined {
    const row = this.statements
      .prepare(
        `SELECT u.org_id AS orgId, u.role AS role FROM users u
         JOIN auth_families f ON f.user_id = u.id
         WHERE u.id = ? AND f.id = ? AND f.revoked_at IS NULL`,
      )
      .get(userId, familyId) as { orgId: string; role: Role } | undefined;
    return row;
  }

  insertRefreshToken(token: { hash: string; familyId: string; userId: string; createdAt: string; expiresAt: string }): void {
    this.statements
      .prepare('INSERT INTO refresh_tokens (hash, family_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(token.hash, token.familyId, token.userId, token.createdAt, token.expiresAt);
  }

  getRefreshToken(hash: string): RefreshTokenRecord | undefined {
    return this.statements
      .prepare(
        `SELECT t.hash, t.family_id AS familyId, t.user_id AS userId, t.used_at AS usedAt, t.revoked_at AS revokedAt,
                t.expires_at AS expiresAt, f.revoked_at AS familyRevokedAt
         FROM refresh_tokens t JOIN auth_families f ON f.id = t.family_id WHERE t.hash = ?`,
      )
      .get(hash) as RefreshTokenRecord | undefined;
  }

  markRefreshTokenUsed(hash: string, at: string): boolean {
    return this.statements.prepare('UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL').run(at, hash).changes === 1;
  }

  purgeExpiredRefreshTokens(now: string): void {
    this.statements.prepare('DELETE FROM refresh_tokens WHERE expires_at < ?').run(now);
  }

  insertInvite(invite: InviteRecord & { createdBy: string; createdAt: string }): void {
    this.statements
      .prepare('INSERT INTO invites (code_hash, org_id, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(invite.codeHash, invite.orgId, invite.role, invite.createdBy, invite.createdAt, invite.expiresAt);
  }

  getInvite(codeHash: string): InviteRecord | undefined {
    return this.statements
      .prepare('SELECT code_hash AS codeHash, org_id AS orgId, role, expires_at AS expiresAt, used_at AS usedAt FROM invites WHERE code_hash = ?')
      .get(codeHash) as InviteRecord | undefined;
  }

  /** Marks an invite used; false when another registration took it first. */
  useInvite(codeHash: string, userId: string, at: string): boolean {
    return (
      this.statements.prepare('UPDATE invites SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL').run(at, userId, codeHash)
        .changes === 1
    );
  }
}
