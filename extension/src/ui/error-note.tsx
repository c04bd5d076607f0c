// Errors in the user's words: what happened and what to do next, per error code. Messages from
// the companion are shown as they come (they never hold secrets) when they say more.
import type { ErrorInfo } from '../core/errors';

export interface ErrorAdvice {
  title: string;
  advice: string;
}

export function describeError(error: ErrorInfo, companionUrl?: string): ErrorAdvice {
  switch (error.code) {
    case 'companion_unreachable':
      return {
        title: 'The companion is not answering',
        advice: `Start it with "pnpm start" (or "pnpm --filter @byok/server start") so that it listens on ${companionUrl ?? 'its address'}, or change the address in Settings. Keys you save meanwhile wait, sealed, in the outbox.`,
      };
    case 'key_rejected':
      // With secretId the background already named the key and said what to do.
      return {
        title: 'The provider refused a key',
        advice: error.secretId ? error.message : `${error.message} Rotate the key with a working one, or reorder so another key goes first.`,
      };
    case 'content_refused':
      return {
        title: 'The provider refused this content',
        advice: `${error.message} Try a different part of the page. "Try again" asks the same provider again unless you first move another key to the top of the Keys tab in the toolbar popup.`,
      };
    case 'quota_exceeded':
      return { title: 'Monthly platform quota reached', advice: "Your organization used this month's platform calls or budget. Add your own key (Keys tab), or ask an admin to raise the quota." };
    case 'plan_limit':
      return { title: 'Your plan does not allow this', advice: `${error.message}. Ask your organization's owner about a plan that includes it.` };
    case 'provider_disabled':
      return { title: 'This provider is switched off', advice: 'Your organization turned off personal keys for this provider. Use a key for another provider, or ask an admin to switch it on.' };
    case 'provider_unreachable':
      // The companion's message lists each attempt and, when every provider asked to wait, how long.
      return { title: 'No provider answered', advice: `${error.message} If this keeps happening, verify your keys in the toolbar popup.` };
    case 'rate_limited':
      return { title: 'Too many requests', advice: 'Wait a moment and try again.' };
    case 'locked':
      return { title: 'The vault is locked', advice: 'Open the toolbar popup and unlock it with your passphrase.' };
    case 'signed_out':
    case 'unauthenticated':
      return { title: 'Session ended', advice: 'Your session with the companion ended. Lock and unlock in the toolbar popup to sign in again.' };
    case 'invalid_credentials':
      return { title: 'Wrong email or passphrase', advice: 'Check both and try again. A lost passphrase cannot be recovered.' };
    case 'wrong_passphrase':
      return { title: 'Wrong passphrase', advice: 'That passphrase does not unlock this account.' };
    case 'kdf_rejected':
      return { title: 'Refused unsafe settings', advice: error.message };
    case 'interrupted':
      return { title: 'Interrupted', advice: 'The browser stopped the extension in the background while this ran. Nothing was lost: try again.' };
    case 'payload_too_large':
      return { title: 'Too much text', advice: 'Select a shorter part of the page and use "Enrich selection".' };
    case 'not_found':
      return { title: 'Not available', advice: error.message };
    default:
      return { title: 'Something went wrong', advice: error.message };
  }
}

export function ErrorNote({ error, companionUrl, children }: { error: ErrorInfo | null; companionUrl?: string; children?: React.ReactNode }) {
  if (!error) return null;
  const { title, advice } = describeError(error, companionUrl);
  return (
    <div className="callout bad" role="alert" data-error-code={error.code}>
      <strong>{title}</strong>
      <p className="small">{advice}</p>
      {children}
    </div>
  );
}
