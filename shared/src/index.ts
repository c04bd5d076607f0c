// The @byok/shared barrel: error codes, provider catalog, wire schemas, plans and crypto.
export * from './errors';
export * from './providers/catalog';
export * from './wire/common';
export * from './wire/accounts';
export * from './wire/secrets';
export * from './wire/audit';
export * from './wire/discovery';
export * from './wire/enrich';
export * from './wire/usage';
export * from './wire/admin';
export * from './wire/routes';
export * from './plans/plans';
export * from './plans/policy';
export * from './openapi';
export * from './crypto/index';
