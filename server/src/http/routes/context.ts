// What every route module receives: the services, the auth middleware and the rate limiters.
import type { Config } from '../../config';
import type { Services } from '../../services/services';
import type { Db } from '../../store/db';
import type { AuthMiddleware } from '../middleware/auth';
import type { RateLimiters } from '../middleware/rate-limit';

export interface RouteContext {
  config: Config;
  /** The database of this app instance (a restart builds a new app with a new handle). */
  db: Db;
  services: Services;
  requireAuth: AuthMiddleware;
  limiters: RateLimiters;
  version: string;
}
