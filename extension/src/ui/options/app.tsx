// The options page: organization administration for owners and admins (policy, members and
// invites, organization keys, usage, audit log with its verification). Members get a short
// explanation; sections the companion does not offer yet say so instead of failing.
import { send } from '../../core/client';
import { ErrorNote } from '../error-note';
import { formatCost, formatCount, formatDateTime } from '../format';
import { useLoad } from '../hooks';
import { MembersPanel } from './members-panel';
import { OrgKeysPanel } from './org-keys-panel';
import { PolicyEditor } from './policy-editor';

function Missing({ what }: { what: string }) {
  return <p className="small muted">{what} is not available on this companion yet.</p>;
}

export function OptionsApp() {
  const status = useLoad(() => send('status'));
  const account = status.data?.account;
  const isAdmin = account?.role === 'owner' || account?.role === 'admin';
  const unlocked = status.data?.state === 'unlocked';
  const overview = useLoad(async () => (isAdmin && unlocked ? send('admin.overview') : null), [isAdmin, unlocked]);

  const header = (
    <header className="bar">
      <div className="brand">
        <span className="logo" aria-hidden="true">BY</span>
        <h1>Organization admin{account ? ` · ${account.orgName}` : ''}</h1>
      </div>
    </header>
  );
  if (!status.data) return <>{header}<main>{status.error ? <ErrorNote error={status.error} /> : <span className="spinner" />}</main></>;
  if (!account || !unlocked) {
    return (
      <>
        {header}
        <main>
          <div className="callout info">Open the toolbar popup, sign in and unlock; then reload this page.</div>
        </main>
      </>
    );
  }
  if (!isAdmin) {
    return (
      <>
        {header}
        <main>
          <div className="callout info">
            This page is for your organization's owners and admins. As a member you manage your own keys in the toolbar popup; your admins decide
            which providers, limits and shared keys your organization uses.
          </div>
        </main>
      </>
    );
  }
  const data = overview.data;
  const missing = new Set(data?.missing ?? []);
  return (
    <>
      {header}
      <main className="stack" style={{ maxWidth: 860, margin: '0 auto' }}>
        <ErrorNote error={overview.error} companionUrl={status.data.companionUrl} />
        {overview.loading && !data && <p className="row muted"><span className="spinner" /> Loading…</p>}
        {data && (
          <>
            {data.policy ? (
              <PolicyEditor initial={data.policy} plan={data.plan ?? account.plan} onSaved={() => void overview.reload()} />
            ) : (
              <Missing what="The policy editor" />
            )}
            {data.members ? <MembersPanel members={data.members} selfId={account.userId} onChanged={() => void overview.reload()} /> : <Missing what="Member management" />}
            {data.orgKeys ? <OrgKeysPanel keys={data.orgKeys} onChanged={() => void overview.reload()} /> : <Missing what="Organization keys" />}
            <section aria-labelledby="org-usage-title">
              <h2 id="org-usage-title">Organization usage this month</h2>
              {data.usage ? (
                <>
                  <p className="small">
                    {formatCount(data.usage.totals.calls)} calls · {formatCount(data.usage.totals.inputTokens + data.usage.totals.outputTokens)} tokens ·{' '}
                    {formatCost(data.usage.totals.costMicros)}
                  </p>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Member</th>
                        <th scope="col" className="num">Calls</th>
                        <th scope="col" className="num">Cost</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.usage.groups.map((group) => (
                        <tr key={group.key}>
                          <td>{group.label ?? group.key}</td>
                          <td className="num">{formatCount(group.calls)}</td>
                          <td className="num">{formatCost(group.costMicros)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              ) : (
                <Missing what="Organization usage" />
              )}
            </section>
            <section aria-labelledby="audit-title">
              <h2 id="audit-title">Audit log</h2>
              {data.auditVerify ? (
                <div className={`callout ${data.auditVerify.ok ? 'ok' : 'bad'}`} role="status">
                  {data.auditVerify.ok
                    ? `Hash chain verified: ${data.auditVerify.events} events, none altered.`
                    : `Hash chain broken at event ${String(data.auditVerify.firstBrokenId ?? '?')}: the log was altered.`}
                </div>
              ) : (
                missing.has('audit-verify') && <Missing what="Audit verification" />
              )}
              {data.audit ? (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.audit.map((event) => (
                      <tr key={String(event.id)}>
                        <td>{formatDateTime(event.at)}</td>
                        <td className="mono small">{event.actor.slice(0, 8)}</td>
                        <td>{event.action}</td>
                        <td className="mono small">{event.target.slice(0, 12)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <Missing what="The audit log" />
              )}
            </section>
          </>
        )}
      </main>
    </>
  );
}
