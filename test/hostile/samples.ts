// A well-formed request for every operation of API_ROUTES, the starting point the fuzzer mutates:
// random values reach deeper checks when most of a body is right. Emails, ids and tokens here
// belong to nobody, so even a mutation that stays valid cannot touch a real account.
import { randomBytes, randomUUID } from 'node:crypto';
import { defaultPolicy } from '@byok/shared/plans/policy';

const b64 = (bytes: number): string => randomBytes(bytes).toString('base64url');
const kdf = { name: 'PBKDF2-SHA256', iterations: 600_000, salt: b64(16) };
const grantLike = `${b64(40)}.${b64(40)}.${b64(12)}.${b64(80)}.${b64(16)}`;

/** Bodies by operationId (routes without a body are absent). */
export const SAMPLE_BODIES: Record<string, unknown> = {
  prelogin: { email: 'nobody@example.test' },
  register: { email: 'nobody-new@example.test', authProof: b64(32), kdf, inviteCode: 'not-an-invite' },
  login: { email: 'nobody@example.test', authProof: b64(32) },
  refresh: { refreshToken: b64(32) },
  changePassphrase: { kdf, authProof: b64(32), newAuthProof: b64(32), rewrapped: [{ id: randomUUID(), wrappedDek: b64(40) }] },
  orderSecrets: { ids: [randomUUID(), randomUUID()] },
  putSecret: {
    provider: 'openai',
    label: 'fuzzed',
    defaultModel: 'gpt-4o-mini',
    hint: { prefix: 'sk-', last4: 'abcd' },
    sealed: { v: 1, iv: b64(12), ct: b64(40), wrappedDek: b64(40) },
  },
  patchSecret: { label: 'renamed', defaultModel: 'gpt-4o' },
  verifySecret: { grant: grantLike },
  enrich: { task: 'enrich', input: { kind: 'page', text: 'Ada Lovelace met Charles Babbage in London.', url: 'https://example.com/a', title: 'T' }, grants: [grantLike] },
  putPolicy: { policy: defaultPolicy('business') },
  patchMember: { role: 'member' },
  createInvite: { role: 'member', expiresInHours: 24 },
  putOrgSecret: { provider: 'openai', label: 'team', upload: grantLike },
};

/** Query strings by operationId. */
export const SAMPLE_QUERIES: Record<string, Record<string, string>> = {
  usage: { from: '2026-01-01', to: '2026-02-01T00:00:00Z', groupBy: 'day' },
  usageCsv: { from: '2026-01-01', to: '2026-02-01' },
  audit: { limit: '10', before: '5' },
  adminUsage: { from: '2026-01-01', groupBy: 'member', userId: randomUUID() },
  adminAudit: { limit: '10', before: '3', actor: 'cli', action: 'key.stored' },
};
