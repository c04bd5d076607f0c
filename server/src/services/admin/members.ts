// Members of an organization: list, change roles, remove. Rules (issue 4): an organization always
// keeps at least one owner; an admin cannot make owners or change or remove an owner; removing a
// member deletes their personal keys and revokes their sessions, with one audit event.
import { AppError } from '@byok/shared';
import type { Role } from '@byok/shared/wire/accounts';
import type { MemberView } from '@byok/shared/wire/admin';
import type { Db } from '../../store/db';
import type { AuditService } from '../audit';
import { actorRole, auditActorOf } from './actor';
import type { AdminActor } from './actor';
import type { MemberRecord, OrgAdminStore } from './org-admin-store';

const NOT_FOUND = 'No such member.';
const LAST_OWNER = 'An organization keeps at least one owner; make someone else owner first.';

export function memberView(member: MemberRecord): MemberView {
  return { id: member.id, email: member.email, role: member.role, createdAt: member.createdAt, lastSeenAt: member.lastSeenAt };
}

export class MembersService {
  constructor(
    private readonly db: Db,
    private readonly store: OrgAdminStore,
    private readonly audit: AuditService,
  ) {}

  list(orgId: string): MemberView[] {
    return this.store.listMembers(orgId).map(memberView);
  }

  /** A member by id, or by email for the CLI; another organization's user is not found. */
  find(orgId: string, idOrEmail: string): MemberRecord {
    const member = idOrEmail.includes('@')
      ? this.store.getMemberByEmail(orgId, idOrEmail.trim().toLowerCase())
      : this.store.getMember(orgId, idOrEmail);
    if (!member) throw new AppError('not_found', NOT_FOUND);
    return member;
  }

  changeRole(orgId: string, actor: AdminActor, memberId: string, role: Role): MemberView {
    return this.db
      .transaction(() => {
        const member = this.find(orgId, memberId);
        if (member.role === role) return memberView(member);
        if (actorRole(actor) !== 'owner') {
          if (role === 'owner') throw new AppError('forbidden', 'Only an owner can make owners.');
          if (member.role === 'owner') throw new AppError('forbidden', "Only an owner can change an owner's role.");
        }
        if (member.role === 'owner' && this.store.countOwners(orgId) <= 1) throw new AppError('conflict', LAST_OWNER);
        this.store.setRole(member.id, role);
        this.audit.append({
          orgId,
          actor: auditActorOf(actor),
          action: 'member.role_changed',
          target: member.id,
          detail: { email: member.email, from: member.role, to: role },
        });
        return memberView({ ...member, role });
      })
      .immediate();
  }

  remove(orgId: string, actor: AdminActor, memberId: string): { keysDeleted: number } {
    return this.db
      .transaction(() => {
        const member = this.find(orgId, memberId);
        if (member.role === 'owner') {
          if (actorRole(actor) !== 'owner') throw new AppError('forbidden', 'Only an owner can remove an owner.');
          if (this.store.countOwners(orgId) <= 1) throw new AppError('conflict', LAST_OWNER);
        }
        const keys = this.store.deletePersonalKeys(member.id);
        this.store.revokeSessions(member.id, new Date().toISOString());
        this.store.deleteUser(member.id);
        this.audit.append({
          orgId,
          actor: auditActorOf(actor),
          action: 'member.removed',
          target: member.id,
          detail: { email: member.email, role: member.role, keysDeleted: keys.length, keys: keys.map((key) => ({ ...key })) },
        });
        return { keysDeleted: keys.length };
      })
      .immediate();
  }
}
