// Bearer authentication: an EdDSA access token of a user that still exists, in a login family
// that is not revoked. Sets the typed principal; the role comes from the database, not the token.
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@byok/shared';
import type { AccountsStore } from '../../store/accounts-store';
import type { TokenService } from '../../services/tokens';
import { hasPrincipal, setPrincipal } from '../../services/principal';

const UNAUTHENTICATED = 'Missing, invalid or expired access token.';

export type AuthMiddleware = (request: Request, response: Response, next: NextFunction) => Promise<void>;

/** How many Authorization header lines the request carried (Node keeps only the first). */
function authorizationCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === 'authorization') count++;
  return count;
}

export function requireAuth(tokens: TokenService, accounts: AccountsStore): AuthMiddleware {
  return async (request, _response, next) => {
    // Already done for this request (before its large body was read): once is enough.
    if (hasPrincipal(request)) {
      next();
      return;
    }
    // Node silently drops every Authorization line but the first; a proxy in front may pick
    // another one. Ambiguous credentials are refused rather than guessed.
    if (authorizationCount(request.rawHeaders) > 1) throw new AppError('unauthenticated', UNAUTHENTICATED);
    const header = request.get('authorization');
    const match = header === undefined ? null : /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header);
    if (!match?.[1]) throw new AppError('unauthenticated', UNAUTHENTICATED);
    const claims = await tokens.verifyAccessToken(match[1]);
    const session = accounts.liveSession(claims.userId, claims.familyId);
    if (!session) throw new AppError('unauthenticated', UNAUTHENTICATED);
    setPrincipal(request, { userId: claims.userId, orgId: session.orgId, role: session.role, familyId: claims.familyId });
    next();
  };
}
