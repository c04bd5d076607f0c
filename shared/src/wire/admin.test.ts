import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../plans/policy';
import {
  AdminAuditEvent,
  AdminAuditQuery,
  AuditVerifyResponse,
  CreateInviteRequest,
  GENESIS_PREV_HASH,
  PatchMemberRequest,
  PutOrgSecretRequest,
  PutPolicyRequest,
} from './admin';
import { AUDIT_ACTIONS, AuditListQuery } from './audit';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('policy requests', () => {
  it('accepts a full policy and refuses a partial or extended one', () => {
    const policy = defaultPolicy('business');
    expect(PutPolicyRequest.safeParse({ policy }).success).toBe(true);
    const { maxKeyAgeDays: _m, ...partial } = policy;
    expect(PutPolicyRequest.safeParse({ policy: partial }).success).toBe(false);
    expect(PutPolicyRequest.safeParse({ policy: { ...policy, orgKeys: true } }).success).toBe(false);
    expect(PutPolicyRequest.safeParse({ policy, note: 'x' }).success).toBe(false);
  });

  it('checks nested fields', () => {
    const policy = defaultPolicy('pro');
    const bad = [
      { providers: { nope: { byok: true, platform: true } } },
      { providers: { openai: { byok: true } } },
      { personalProviderLimit: -1 },
      { personalProviderLimit: 1.5 },
      { platformFallback: 'sometimes' },
      { platformQuota: { monthlyCalls: 10 } },
      { allowedBaseUrls: ['http://127.0.0.1:11434/'] },
      { maxKeyAgeDays: 0 },
    ];
    for (const change of bad) expect(PutPolicyRequest.safeParse({ policy: { ...policy, ...change } }).success, JSON.stringify(change)).toBe(false);
    const good = [
      { providers: {} },
      { personalProviderLimit: null },
      { platformQuota: { monthlyCalls: 0, monthlyCostMicros: null } },
      { allowedBaseUrls: ['http://127.0.0.1:11434', 'https://llm.internal.example/v1'] },
      { maxKeyAgeDays: null },
    ];
    for (const change of good) expect(PutPolicyRequest.safeParse({ policy: { ...policy, ...change } }).success, JSON.stringify(change)).toBe(true);
  });
});

describe('members and invites', () => {
  it('parses roles and invites', () => {
    expect(PatchMemberRequest.safeParse({ role: 'admin' }).success).toBe(true);
    expect(PatchMemberRequest.safeParse({ role: 'superuser' }).success).toBe(false);
    expect(CreateInviteRequest.parse({ role: 'member' })).toEqual({ role: 'member', expiresInHours: 72 });
    expect(CreateInviteRequest.safeParse({ role: 'owner' }).success).toBe(false);
    expect(CreateInviteRequest.safeParse({ role: 'member', expiresInHours: 0 }).success).toBe(false);
    expect(CreateInviteRequest.safeParse({ role: 'member', expiresInHours: 721 }).success).toBe(false);
  });
});

describe('organization keys', () => {
  const upload = { provider: 'anthropic', label: 'Team key', upload: 'a.b.c.d.e' };

  it('takes a JWE upload, never a plaintext key or a hint', () => {
    expect(PutOrgSecretRequest.safeParse(upload).success).toBe(true);
    expect(PutOrgSecretRequest.safeParse({ ...upload, key: 'sk-ant-x' }).success).toBe(false);
    expect(PutOrgSecretRequest.safeParse({ ...upload, hint: { prefix: 'sk-ant-', last4: 'abcd' } }).success).toBe(false);
  });

  it('applies the same base URL rules as personal keys', () => {
    expect(PutOrgSecretRequest.safeParse({ ...upload, baseUrl: 'https://proxy.example' }).success).toBe(false);
    const vllm = { provider: 'vllm', label: 'GPU box', upload: 'a.b.c.d.e' };
    expect(PutOrgSecretRequest.safeParse(vllm).success).toBe(false);
    expect(PutOrgSecretRequest.safeParse({ ...vllm, baseUrl: 'http://10.0.0.7:8000/v1' }).success).toBe(true);
  });
});

describe('audit', () => {
  const event = {
    id: 1,
    at: '2026-11-22T13:00:00.000Z',
    actor: ID,
    action: 'key.stored',
    target: ID,
    provider: 'openai',
    detail: { label: 'Work' },
    hash: 'ab'.repeat(32),
    prevHash: GENESIS_PREV_HASH,
  };

  it('shows hash and prevHash as lowercase hex SHA-256', () => {
    expect(AdminAuditEvent.safeParse(event).success).toBe(true);
    expect(AdminAuditEvent.safeParse({ ...event, hash: 'AB'.repeat(32) }).success).toBe(false);
    expect(AdminAuditEvent.safeParse({ ...event, prevHash: '00' }).success).toBe(false);
    expect(AdminAuditEvent.safeParse({ ...event, provider: null }).success).toBe(true);
    expect(AdminAuditEvent.safeParse({ ...event, id: ID }).success).toBe(false);
    expect(AdminAuditEvent.safeParse({ ...event, id: 0 }).success).toBe(false);
  });

  it('lists at least the actions API.md names', () => {
    const required = [
      'account.registered', 'auth.login', 'auth.login_failed', 'key.stored', 'key.rotated', 'key.deleted', 'key.verified',
      'key.verify_failed', 'key.rejected_by_provider', 'grant.replayed', 'policy.updated', 'member.invited',
      'member.role_changed', 'member.removed', 'org_key.stored', 'org_key.deleted',
    ];
    for (const action of required) expect(AUDIT_ACTIONS).toContain(action);
  });

  it('coerces listing queries from strings and bounds them', () => {
    expect(AuditListQuery.parse({})).toEqual({ limit: 100 });
    expect(AuditListQuery.parse({ limit: '20', before: '42' })).toEqual({ limit: 20, before: 42 });
    expect(AuditListQuery.safeParse({ limit: '0' }).success).toBe(false);
    expect(AuditListQuery.safeParse({ limit: '501' }).success).toBe(false);
    expect(AuditListQuery.safeParse({ limit: 'ten' }).success).toBe(false);
    expect(AuditListQuery.safeParse({ before: ID }).success).toBe(false);
    expect(AuditListQuery.safeParse({ before: '1.5' }).success).toBe(false);
    expect(AdminAuditQuery.safeParse({ limit: '50', action: 'key.stored' }).success).toBe(true);
  });

  it('describes the verify result', () => {
    expect(AuditVerifyResponse.safeParse({ ok: true, events: 12 }).success).toBe(true);
    expect(AuditVerifyResponse.safeParse({ ok: false, events: 12, firstBrokenId: 7 }).success).toBe(true);
  });
});
