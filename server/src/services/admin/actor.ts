// Who performs an administrative change: an owner or admin over HTTP, or the operator through
// the admin CLI. The audit log records the user id, or `cli` for the operator.
import type { Role } from '@byok/shared/wire/accounts';

export type AdminActor = { kind: 'user'; userId: string; role: Role } | { kind: 'cli' };

export const CLI_ACTOR: AdminActor = { kind: 'cli' };

export function auditActorOf(actor: AdminActor): string {
  return actor.kind === 'cli' ? 'cli' : actor.userId;
}

/** The operator acts with an owner's powers (it is the one who hands out ownership). */
export function actorRole(actor: AdminActor): Role {
  return actor.kind === 'cli' ? 'owner' : actor.role;
}
