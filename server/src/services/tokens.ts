// Session tokens: access tokens are EdDSA JWTs (15 minutes) naming the user, org, role and login
// family; refresh tokens are 32 random bytes, stored only as their SHA-256, single use.
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Role } from '@byok/shared/wire/accounts';
import { AppError } from '@byok/shared';
import type { ServerIdentity } from './server-identity';
import { VerifiedTokenCache } from './verified-token-cache';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_DAYS = 30;

export interface AccessClaims {
  userId: string;
  orgId: string;
  role: Role;
  familyId: string;
}

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class TokenService {
  private readonly issuer: string;
  private readonly verified = new VerifiedTokenCache<AccessClaims>();

  constructor(
    private readonly identity: ServerIdentity,
    private readonly clock: () => number = Date.now,
  ) {
    this.issuer = identity.audience;
  }

  async signAccessToken(claims: AccessClaims, now = Math.floor(Date.now() / 1000)): Promise<string> {
    return new SignJWT({ org: claims.orgId, role: claims.role, fam: claims.familyId })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: this.identity.signingKey.kid })
      .setSubject(claims.userId)
      .setIssuer(this.issuer)
      .setAudience(`${this.issuer}/api`)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_SECONDS)
      .sign(this.identity.signingKey.privateKey);
  }

  /**
   * Verifies signature (EdDSA only: no `none`, no HS256), issuer, audience and expiry. A token
   * verified before is answered from the cache until its `exp`; the caller still checks the
   * session against the database on every request.
   */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const now = this.clock();
    const key = hashToken(token);
    const cached = this.verified.get(key, Math.floor(now / 1000));
    if (cached !== undefined) return { ...cached };
    try {
      const { payload } = await jwtVerify(token, this.identity.signingKey.publicKey, {
        algorithms: ['EdDSA'],
        issuer: this.issuer,
        audience: `${this.issuer}/api`,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: new Date(now),
      });
      const { sub, org, role, fam, exp } = payload;
      if (typeof sub !== 'string' || typeof org !== 'string' || typeof fam !== 'string') throw new Error('claims');
      if (role !== 'owner' && role !== 'admin' && role !== 'member') throw new Error('claims');
      if (typeof exp !== 'number') throw new Error('claims');
      const claims: AccessClaims = { userId: sub, orgId: org, role, familyId: fam };
      this.verified.set(key, claims, exp);
      return { ...claims };
    } catch (error) {
      throw new AppError('unauthenticated', 'Missing, invalid or expired access token.', { cause: error });
    }
  }
}
