// Wire schemas of the account endpoints (API.md "Accounts"): pre-login, register, login,
// refresh, passphrase change and `GET /v1/me`.
import { z } from 'zod';
import { PlanId } from '../plans/plans';
import { Policy } from '../plans/policy';
import { Email, NOT_WELL_FORMED, Uuid, WrappedDek, b64urlBytes, isWellFormedText } from './common';

/** CRYPTO.md section 1 and 8: only PBKDF2-SHA256, 600,000..5,000,000 iterations, 16-byte salt. */
export const KdfSchema = z.strictObject({
  name: z.literal('PBKDF2-SHA256'),
  iterations: z.int().min(600_000).max(5_000_000),
  salt: b64urlBytes({ exact: 16 }),
});

/** b64url(authKey): 32 bytes. */
export const AuthProof = b64urlBytes({ exact: 32 });

export const Role = z.enum(['owner', 'admin', 'member']);
export type Role = z.infer<typeof Role>;

/** Opaque tokens; bounded so that a giant header or body is refused early. */
export const AccessToken = z.string().min(1).max(4096);
export const RefreshToken = z.string().min(1).max(512);

export const UserView = z.object({ id: Uuid, email: z.string(), role: Role });
export type UserView = z.infer<typeof UserView>;

export const OrgView = z.object({ id: Uuid, name: z.string(), plan: PlanId });
export type OrgView = z.infer<typeof OrgView>;

export const PreloginRequest = z.strictObject({ email: Email });
export type PreloginRequest = z.infer<typeof PreloginRequest>;

export const PreloginResponse = z.object({ kdf: KdfSchema });
export type PreloginResponse = z.infer<typeof PreloginResponse>;

export const RegisterRequest = z.strictObject({
  email: Email,
  authProof: AuthProof,
  kdf: KdfSchema,
  inviteCode: z.string().trim().min(1).max(128).refine(isWellFormedText, NOT_WELL_FORMED).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const LoginRequest = z.strictObject({ email: Email, authProof: AuthProof });
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Register (201) and login (200) answer the same shape; user and org as in `GET /v1/me`. */
export const LoginResponse = z.object({
  user: UserView,
  org: OrgView,
  accessToken: AccessToken,
  refreshToken: RefreshToken,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

export const RegisterResponse = LoginResponse;
export type RegisterResponse = LoginResponse;

export const RefreshRequest = z.strictObject({ refreshToken: RefreshToken });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const RefreshResponse = z.object({ accessToken: AccessToken, refreshToken: RefreshToken });
export type RefreshResponse = z.infer<typeof RefreshResponse>;

/**
 * `PUT /v1/auth/passphrase`: new KDF, current and new proofs, and every personal key's data key
 * re-wrapped. Whether `rewrapped` is exactly the caller's keys is the server's 409 check.
 */
export const PassphraseChangeRequest = z.strictObject({
  kdf: KdfSchema,
  authProof: AuthProof,
  newAuthProof: AuthProof,
  rewrapped: z
    .array(
      z.strictObject({
        id: Uuid,
        wrappedDek: WrappedDek,
        /**
         * The key's version as listed (an addition to API.md; clients should send it). A key
         * rotated since then is 409 and nothing changes: its old data key must not be stored
         * beside its new ciphertext.
         */
        version: z.int().min(1).optional(),
      }),
    )
    .max(1000),
});
export type PassphraseChangeRequest = z.infer<typeof PassphraseChangeRequest>;

/** Alias kept for callers that speak of a password. */
export const PasswordChangeRequest = PassphraseChangeRequest;
export type PasswordChangeRequest = PassphraseChangeRequest;

export const MeResponse = z.object({ user: UserView, org: OrgView, policy: Policy });
export type MeResponse = z.infer<typeof MeResponse>;
