// The server compiles without the DOM lib, but shared/src/crypto names WebCrypto's global types.
// Node provides the same types under node:crypto's webcrypto namespace; alias them globally.
import type { webcrypto } from 'node:crypto';

declare global {
  type CryptoKey = webcrypto.CryptoKey;
  type KeyUsage = webcrypto.KeyUsage;
}

export {};
