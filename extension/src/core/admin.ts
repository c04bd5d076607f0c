// Organization administration for the options page (API.md "Administration"). Sections the
// companion does not offer yet (404) are reported as missing instead of failing the page.
import { createOrgUploadGrant, getProvider, matchesKeyFormat, normalizeBaseUrl } from '@byok/shared';
import type { ApiClient } from './api-client';
import { ExtensionError } from './errors';
import type { AdminOverview } from './messages';
import { currentMonth } from './usage';
import type { Vault } from './vault';

export class AdminService {
  constructor(
    private readonly api: ApiClient,
    private readonly vault: Vault,
  ) {}

  async overview(): Promise<AdminOverview> {
    const missing: string[] = [];
    const section = async <T>(name: string, load: () => Promise<T>): Promise<T | null> => {
      try {
        return await load();
      } catch (error) {
        if (error instanceof ExtensionError && (error.code === 'not_found' || error.status === 404)) {
          missing.push(name);
          return null;
        }
        throw error;
      }
    };
    const { from, to } = currentMonth();
    // Only the heading's plan: any failure here falls back to the session's copy.
    const me = await this.api.me().catch(() => null);
    const policy = await section('policy', () => this.api.getPolicy());
    const members = await section('members', () => this.api.members());
    const audit = await section('audit', () => this.api.adminAudit(50));
    const auditVerify = await section('audit-verify', () => this.api.verifyAudit());
    const usage = await section('usage', () => this.api.usage({ from, to, groupBy: 'member' }, true));
    const orgKeys = await section('org-keys', () => this.api.orgSecrets());
    return { plan: me?.org.plan ?? null, policy, members, audit, auditVerify, usage, orgKeys, missing };
  }

  /** CRYPTO.md section 4: the plaintext travels only inside an org-secret-upload JWE. */
  async uploadOrgKey(input: { provider: string; label: string; apiKey: string; defaultModel?: string; baseUrl?: string }): Promise<{ id: string }> {
    const entry = getProvider(input.provider);
    if (!entry || entry.id === 'builtin') throw new ExtensionError('invalid_input', 'Choose a provider.');
    if (!matchesKeyFormat(entry.id, input.apiKey)) throw new ExtensionError('invalid_input', `This does not look like a ${entry.name} key.`);
    let baseUrl: string | undefined;
    if (entry.baseUrl === 'required') {
      baseUrl = normalizeBaseUrl(input.baseUrl ?? '') ?? undefined;
      if (!baseUrl) throw new ExtensionError('invalid_input', 'Enter the base URL.');
    }
    const unlocked = await this.vault.require();
    const id = crypto.randomUUID();
    const upload = await createOrgUploadGrant({ keySet: await this.api.grantKeys(), userId: unlocked.userId, secretId: id, apiKey: input.apiKey });
    await this.api.putOrgSecret(id, {
      provider: entry.id,
      label: input.label.trim(),
      ...(input.defaultModel ? { defaultModel: input.defaultModel } : {}),
      ...(baseUrl ? { baseUrl } : {}),
      upload,
    });
    return { id };
  }
}
