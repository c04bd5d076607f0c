// Typed messages between the extension's pages (popup, side panel, options) and the background
// worker, which owns the vault and the companion session. Each request type maps to its payload
// and its answer; answers travel as { ok, value } or { ok: false, error } (never a stack).
import type { CachedKey, HistoryEntry, OutboxItem } from '../db';
import type { AuditEvent, MemberView } from './api-client';
import type { AuditVerifyResponse, MeResponse, Policy, UsageReport, VerifyResult } from './companion-types';
import type { ErrorInfo } from './errors';
import type { KeyList, SaveKeyInput, SaveKeyResult } from './keys';
import type { DrainReport } from './outbox';
import type { PassphraseChangeResult } from './passphrase';
import type { AccountInfo } from './settings';
import type { VaultState } from './vault';

export interface StatusView {
  state: VaultState;
  account: AccountInfo | null;
  companionUrl: string;
  autoLockMinutes: number;
  outboxWaiting: number;
  /** Why the vault locked itself (a passphrase changed on another device), until the next unlock. */
  lockNotice: string | null;
}

export interface UsageView {
  month: string;
  totals: UsageReport['totals'];
  byProvider: UsageReport['groups'];
  bySource: UsageReport['groups'];
  byDay: UsageReport['groups'];
  recent: UsageReport['recent'];
  fresh: boolean;
}

export interface ProfileView {
  me: MeResponse | null;
  keys: CachedKey[];
}

export interface AdminOverview {
  /** The organization's plan now (the operator changes it with the CLI; the session's copy may be older). */
  plan: string | null;
  policy: Policy | null;
  members: MemberView[] | null;
  audit: AuditEvent[] | null;
  auditVerify: AuditVerifyResponse | null;
  usage: UsageReport | null;
  /** Organization keys from the admin list (GET /v1/secrets leaves out those not usable now). */
  orgKeys: CachedKey[] | null;
  /** Which sections the companion does not offer yet (404). */
  missing: string[];
}

export interface MessageMap {
  status: { payload: undefined; result: StatusView };
  'vault.create': { payload: { email: string; passphrase: string; inviteCode?: string }; result: StatusView };
  'vault.signIn': { payload: { email: string; passphrase: string }; result: StatusView };
  'vault.unlock': { payload: { passphrase: string }; result: StatusView };
  'vault.lock': { payload: undefined; result: StatusView };
  'vault.changePassphrase': { payload: { current: string; next: string }; result: PassphraseChangeResult };
  'vault.signOut': { payload: undefined; result: StatusView };
  'settings.set': { payload: { companionUrl?: string; autoLockMinutes?: number }; result: StatusView };
  me: { payload: undefined; result: MeResponse };
  'keys.list': { payload: undefined; result: KeyList };
  /** The cached list at once (no network), for a first render before keys.list answers. */
  'keys.cached': { payload: undefined; result: KeyList };
  'keys.save': { payload: SaveKeyInput; result: SaveKeyResult };
  'keys.remove': { payload: { id: string }; result: null };
  'keys.reorder': { payload: { ids: string[] }; result: null };
  'keys.verify': { payload: { id: string }; result: VerifyResult };
  'outbox.list': { payload: undefined; result: OutboxItem[] };
  'outbox.drain': { payload: undefined; result: DrainReport };
  'outbox.retry': { payload: { seq: number }; result: null };
  'outbox.discard': { payload: { seq: number }; result: null };
  'usage.get': { payload: undefined; result: UsageView };
  'usage.csv': { payload: undefined; result: string };
  'history.list': { payload: undefined; result: HistoryEntry[] };
  'history.remove': { payload: { id: string }; result: null };
  'enrich.cancel': { payload: { id: string }; result: null };
  'enrich.retry': { payload: { id: string }; result: null };
  'enrich.text': { payload: { kind: 'selection' | 'page'; text: string; title?: string; url?: string }; result: { id: string } };
  'admin.overview': { payload: undefined; result: AdminOverview };
  'admin.putPolicy': { payload: { policy: Policy }; result: Policy };
  'admin.invite': { payload: { role: MemberView['role']; expiresInHours?: number }; result: { code: string; expiresAt: string } };
  'admin.setRole': { payload: { id: string; role: MemberView['role'] }; result: null };
  'admin.removeMember': { payload: { id: string }; result: null };
  'admin.uploadOrgKey': {
    payload: { provider: string; label: string; apiKey: string; defaultModel?: string; baseUrl?: string };
    result: { id: string };
  };
  'admin.deleteOrgKey': { payload: { id: string }; result: null };
}

export type MessageType = keyof MessageMap;

export interface RequestMessage<T extends MessageType = MessageType> {
  channel: 'byok';
  type: T;
  payload: MessageMap[T]['payload'];
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** Broadcast from the background so that open pages refresh what changed. */
export interface EventMessage {
  channel: 'byok-event';
  event: 'history' | 'keys' | 'outbox' | 'vault';
  id?: string;
}

export function isRequestMessage(value: unknown): value is RequestMessage {
  return typeof value === 'object' && value !== null && (value as { channel?: unknown }).channel === 'byok' && typeof (value as { type?: unknown }).type === 'string';
}

export function isEventMessage(value: unknown): value is EventMessage {
  return typeof value === 'object' && value !== null && (value as { channel?: unknown }).channel === 'byok-event';
}
