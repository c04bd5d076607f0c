// Accounts and sessions: registration (first owner, invites, open sign-up), pre-login, login,
// refresh-token rotation with reuse detection, logout, passphrase change and invites.
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, normalizeEmail, preloginSalt } from '@byok/shared';
import type { KdfParams } from '@byok/shared';
import type { LoginResponse, OrgView, UserView } from '@byok/shared/wire/accounts';
import type { PlanId } from '@byok/shared/plans/plans';
import type { AccountsStore, OrgRecord, UserRecord } from '../store/accounts-store';
import type { SecretsStore } from '../store/secrets-store';
import type { Db } from '../store/db';
import type { AuditService } from './audit';
import { dummyAuthHash, hashAuthProof, verifyAuthProof } from './auth-hash';
import { REFRESH_TOKEN_DAYS, hashToken, newRefreshToken } from './tokens';
import type { TokenService } from './tokens';
import type { Principal } from './principal';

export interface AccountsOptions {
  openSignup: boolean;
  defaultPlan: PlanId;
  preloginSecret: Uint8Array;
}

const INVALID_CREDENTIALS = 'Email or passphrase is wrong.';
const BAD_INVITE = 'A valid invite code is required to register.';

export function userView(user: UserRecord): UserView {
  return { id: user.id, email: user.email, role: user.role };
}

export function orgView(org: OrgRecord): OrgView {
  return { id: org.id, name: org.name, plan: org.plan };
}

export class AccountsService {
  constructor(
    private readonly db: Db,
    private readonly store: AccountsStore,
    private readonly secrets: SecretsStore,
    private readonly audit: AuditService,
    private readonly tokens: TokenService,
    private readonly options: AccountsOptions,
  ) {}

  async prelogin(email: string): Promise<{ kdf: KdfParams }> {
    const normalized = normalizeEmail(email);
    const user = this.store.getUserByEmail(normalized);
    if (user) return { kdf: user.kdf };
    return { kdf: { name: 'PBKDF2-SHA256', iterations: 600_000, salt: await preloginSalt(this.options.preloginSecret, normalized) } };
  }

  async register(input: { email: string; authProof: string; kdf: KdfParams; inviteCode?: string | undefined }): Promise<LoginResponse> {
    const email = normalizeEmail(input.email);
    const authHash = await hashAuthProof(input.authProof);
    const now = new Date().toISOString();
    const userId = randomUUID();
    const created = this.db
      .transaction(() => {
        let org: OrgRecord;
        let role: UserRecord['role'];
        const isFirst = this.store.countOrgs() === 0;
        if (isFirst) {
          org = { id: randomUUID(), name: 'Default organization', plan: this.options.defaultPlan, policy: null, createdAt: now };
          this.store.insertOrg(org);
          role = 'owner';
        } else if (input.inviteCode !== undefined) {
          const codeHash = hashToken(input.inviteCode);
          const invite = this.store.getInvite(codeHash);
          if (!invite || invite.usedAt !== null || invite.expiresAt <= now) throw new AppError('forbidden', BAD_INVITE);
          const found = this.store.getOrg(invite.orgId);
          if (!found) throw new AppError('forbidden', BAD_INVITE);
          if (this.store.getUserByEmail(email)) throw new AppError('conflict', 'This email is already registered.');
          if (!this.store.useInvite(codeHash, userId, now)) throw new AppError('forbidden', BAD_INVITE);
          org = found;
          role = invite.role;
        } else if (this.options.openSignup) {
          const found = this.store.defaultOrg();
          if (!found) throw new AppError('internal', 'No default organization.');
          org = found;
          role = 'member';
        } else {
          throw new AppError('forbidden', BAD_INVITE);
        }
        if (this.store.getUserByEmail(email)) throw new AppError('conflict', 'This email is already registered.');
        const user: UserRecord = { id: userId, orgId: org.id, email, role, kdf: input.kdf, authHash, createdAt: now, lastSeenAt: now };
        this.store.insertUser(user);
        this.audit.append({ orgId: org.id, actor: user.id, action: 'account.registered', target: user.id, detail: { role } });
        const session = this.startSession(user, now);
        return { user, org, session };
      })
      .immediate();
    return this.loginResponse(created);
  }

  async login(input: { email: string; authProof: string }): Promise<LoginResponse> {
    const email = normalizeEmail(input.email);
    const user = this.store.getUserByEmail(email);
    // Unknown emails pay the same scrypt cost against a hash nothing matches.
    const ok = await verifyAuthProof(input.authProof, user?.authHash ?? (await dummyAuthHash()));
    if (!user || !ok) {
      if (user) {
        this.audit.append({ orgId: user.orgId, actor: user.id, action: 'auth.login_failed', target: user.id, detail: {} });
      }
      throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
    }
    const now = new Date().toISOString();
    const result = this.db
      .transaction(() => {
        const current = this.store.getUser(user.id);
        const org = current && this.store.getOrg(current.orgId);
        if (!current || !org) throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
        this.store.touchUser(current.id, now);
        this.audit.append({ orgId: org.id, actor: current.id, action: 'auth.login', target: current.id, detail: {} });
        return { user: current, org, session: this.startSession(current, now) };
      })
      .immediate();
    return this.loginResponse(result);
  }

  /** Rotates a refresh token inside its family; a used or revoked token revokes the family. */
  async refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }> {
    const hash = hashToken(refreshToken);
    const now = new Date().toISOString();
    const outcome = this.db
      .transaction(() => {
        const record = this.store.getRefreshToken(hash);
        if (!record) return { kind: 'unknown' as const };
        if (record.usedAt !== null || record.revokedAt !== null || record.familyRevokedAt !== null) {
          this.store.revokeFamily(record.familyId, now);
          const owner = this.store.getUser(record.userId);
          // Only a real reuse is news; a token of an already revoked family is just refused.
          if (owner && record.usedAt !== null && record.familyRevokedAt === null) {
            this.audit.append({ orgId: owner.orgId, actor: owner.id, action: 'auth.refresh_reused', target: owner.id, detail: { family: record.familyId } });
          }
          return { kind: 'reused' as const };
        }
        if (record.expiresAt <= now) return { kind: 'unknown' as const };
        const user = this.store.getUser(record.userId);
        if (!user) return { kind: 'unknown' as const };
        this.store.markRefreshTokenUsed(hash, now);
        this.store.touchUser(user.id, now);
        const next = newRefreshToken();
        this.store.insertRefreshToken({ hash: hashToken(next), familyId: record.familyId, userId: user.id, createdAt: now, expiresAt: addDays(now, REFRESH_TOKEN_DAYS) });
        return { kind: 'ok' as const, user, familyId: record.familyId, next };
      })
      .immediate();
    if (outcome.kind !== 'ok') throw new AppError('unauthenticated', 'Invalid or expired refresh token.');
    return {
      accessToken: await this.tokens.signAccessToken({ userId: outcome.user.id, orgId: outcome.user.orgId, role: outcome.user.role, familyId: outcome.familyId }),
      refreshToken: outcome.next,
    };
  }

  logout(principal: Principal): void {
    this.db
      .transaction(() => {
        this.store.revokeFamily(principal.familyId, new Date().toISOString());
        this.audit.append({ orgId: principal.orgId, actor: principal.userId, action: 'auth.logout', target: principal.userId, detail: {} });
      })
      .immediate();
  }

  /**
   * Replaces KDF, auth hash and every personal wrapped data key in one transaction. `rewrapped`
   * must name exactly the caller's personal keys that have a wrapped data key (keyless entries
   * have none), each at its current version where the entry gives one, else 409 and nothing
   * changes. Other sessions are revoked: they were opened with the old passphrase.
   */
  async changePassphrase(
    principal: Principal,
    input: { kdf: KdfParams; authProof: string; newAuthProof: string; rewrapped: { id: string; wrappedDek: string; version?: number | undefined }[] },
  ): Promise<void> {
    const user = this.store.getUser(principal.userId);
    if (!user) throw new AppError('unauthenticated', 'Missing, invalid or expired access token.');
    if (!(await verifyAuthProof(input.authProof, user.authHash))) throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
    const newHash = await hashAuthProof(input.newAuthProof);
    const now = new Date().toISOString();
    this.db
      .transaction(() => {
        const current = this.store.getUser(user.id);
        // A concurrent change already replaced the hash the proof was checked against.
        if (!current || current.authHash !== user.authHash) throw new AppError('conflict', 'The passphrase changed meanwhile.');
        const owned = this.secrets.wrappedVersionsForUser(user.id);
        const given = new Set(input.rewrapped.map((entry) => entry.id));
        if (given.size !== input.rewrapped.length || given.size !== owned.size || [...given].some((id) => !owned.has(id))) {
          throw new AppError('conflict', 'rewrapped must list exactly your personal keys that have a wrappedDek, each once.');
        }
        // A key rotated since the client listed it has a new data key: the old one re-wrapped
        // beside the new ciphertext would leave the key impossible to open.
        if (input.rewrapped.some((entry) => entry.version !== undefined && entry.version !== owned.get(entry.id))) {
          throw new AppError('conflict', 'A key changed meanwhile (version mismatch): list your keys again and re-wrap them.');
        }
        for (const entry of input.rewrapped) this.secrets.updateWrappedDek(user.id, entry.id, entry.wrappedDek);
        this.store.updateCredentials(user.id, input.kdf, newHash);
        this.store.revokeOtherFamilies(user.id, principal.familyId, now);
        this.audit.append({ orgId: user.orgId, actor: user.id, action: 'auth.passphrase_changed', target: user.id, detail: { keys: input.rewrapped.length } });
      })
      .immediate();
  }

  me(principal: Principal): { user: UserRecord; org: OrgRecord } {
    const user = this.store.getUser(principal.userId);
    const org = user && this.store.getOrg(user.orgId);
    if (!user || !org) throw new AppError('unauthenticated', 'Missing, invalid or expired access token.');
    return { user, org };
  }

  createInvite(principal: Principal, input: { role: 'admin' | 'member'; expiresInHours: number }): { code: string; expiresAt: string } {
    if (principal.role !== 'owner' && principal.role !== 'admin') throw new AppError('forbidden', 'Only owners and admins can invite.');
    const code = randomBytes(18).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + input.expiresInHours * 3_600_000).toISOString();
    this.db
      .transaction(() => {
        this.store.insertInvite({ codeHash: hashToken(code), orgId: principal.orgId, role: input.role, expiresAt, usedAt: null, createdBy: principal.userId, createdAt: now.toISOString() });
        this.audit.append({ orgId: principal.orgId, actor: principal.userId, action: 'member.invited', target: principal.orgId, detail: { role: input.role, expiresAt } });
      })
      .immediate();
    return { code, expiresAt };
  }

  /** What register and login answer: the views, an access token in the new session's family and its refresh token. */
  private async loginResponse(signedIn: { user: UserRecord; org: OrgRecord; session: { familyId: string; refreshToken: string } }): Promise<LoginResponse> {
    const { user, org, session } = signedIn;
    return {
      user: userView(user),
      org: orgView(org),
      accessToken: await this.tokens.signAccessToken({ userId: user.id, orgId: org.id, role: user.role, familyId: session.familyId }),
      refreshToken: session.refreshToken,
    };
  }

  private startSession(user: UserRecord, now: string): { familyId: string; refreshToken: string } {
    const familyId = randomUUID();
    const refreshToken = newRefreshToken();
    this.store.insertFamily(familyId, user.id, now);
    this.store.insertRefreshToken({ hash: hashToken(refreshToken), familyId, userId: user.id, createdAt: now, expiresAt: addDays(now, REFRESH_TOKEN_DAYS) });
    return { familyId, refreshToken };
  }
}

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * 86_400_000).toISOString();
}
