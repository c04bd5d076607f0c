// Members (role changes, removal) and invites (single-use codes).
import { useState } from 'react';
import type { MemberView } from '../../core/api-client';
import { send } from '../../core/client';
import { ErrorNote } from '../error-note';
import { formatDate } from '../format';
import { useAction } from '../hooks';

export function MembersPanel({ members, selfId, onChanged }: { members: MemberView[]; selfId: string | undefined; onChanged: () => void }) {
  const [role, setRole] = useState<MemberView['role']>('member');
  const [hours, setHours] = useState('72');
  const [invite, setInvite] = useState<{ code: string; expiresAt: string } | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const create = useAction(async () => setInvite(await send('admin.invite', { role, expiresInHours: Number(hours) })));
  /** A role change waits for a second click: making someone an owner hands over the organization. */
  const [pendingRole, setPendingRole] = useState<{ id: string; role: MemberView['role'] } | null>(null);
  const change = useAction(async (id: string, next: MemberView['role']) => {
    await send('admin.setRole', { id, role: next });
    setPendingRole(null);
    onChanged();
  });
  const remove = useAction(async (id: string) => {
    await send('admin.removeMember', { id });
    setRemoving(null);
    onChanged();
  });

  return (
    <section className="stack" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <ErrorNote error={change.error ?? remove.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            <th scope="col">Last seen</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <tr key={member.id}>
              <td>{member.email}</td>
              <td>
                <select
                  aria-label={`Role of ${member.email}`}
                  value={pendingRole?.id === member.id ? pendingRole.role : member.role}
                  disabled={member.id === selfId}
                  onChange={(event) => setPendingRole({ id: member.id, role: event.target.value as MemberView['role'] })}
                >
                  <option value="owner">owner</option>
                  <option value="admin">admin</option>
                  <option value="member">member</option>
                </select>
                {pendingRole?.id === member.id && pendingRole.role !== member.role && (
                  <span className="row">
                    <button onClick={() => void change.run(member.id, pendingRole.role)}>Make {pendingRole.role}</button>
                    <button onClick={() => setPendingRole(null)}>Cancel</button>
                  </span>
                )}
              </td>
              <td>{formatDate(member.createdAt)}</td>
              <td>{formatDate(member.lastSeenAt)}</td>
              <td>
                {member.id === selfId ? null : removing === member.id ? (
                  <span className="row">
                    <button className="danger" onClick={() => void remove.run(member.id)}>
                      Remove (deletes their keys)
                    </button>
                    <button onClick={() => setRemoving(null)}>Cancel</button>
                  </span>
                ) : (
                  <button className="danger" aria-label={`Remove ${member.email}`} onClick={() => setRemoving(member.id)}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="row"
        aria-label="Create an invite"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <div className="field">
          <label htmlFor="invite-role">Invite as</label>
          <select id="invite-role" value={role} onChange={(event) => setRole(event.target.value as MemberView['role'])}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="invite-hours">Valid for (hours)</label>
          <input id="invite-hours" type="number" min={1} max={720} value={hours} onChange={(event) => setHours(event.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={create.busy} style={{ alignSelf: 'flex-end' }}>
          Create invite
        </button>
      </form>
      <ErrorNote error={create.error} />
      {invite && (
        <div className="callout ok" role="status">
          Invite code: <strong className="mono">{invite.code}</strong> (single use, until {formatDate(invite.expiresAt)})
        </div>
      )}
    </section>
  );
}
