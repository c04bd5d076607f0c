// Public surface of the crypto layer (CRYPTO.md); see notes/CRYPTO-API.md for the pinned API.

export * from './errors';
export * from './kdf';
export * from './aad';
export * from './seal';
export * from './hint';
export * from './grant';
