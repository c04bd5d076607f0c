// The KDF parameters the companion offers (at sign-in, unlock and passphrase change), checked
// against this extension's floor: a downgrade offer is a typed refusal, never silently accepted.
import { checkKdfParams, isCryptoError, type KdfParams } from '@byok/shared';
import { ExtensionError } from './errors';

export function checkedKdf(kdf: unknown): KdfParams {
  try {
    return checkKdfParams(kdf);
  } catch (error) {
    if (isCryptoError(error)) {
      throw new ExtensionError('kdf_rejected', 'The companion asked for weaker key derivation than this extension accepts. It may be compromised.');
    }
    throw error;
  }
}
