import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors';
import { buildOpenApiDocument } from './openapi';

// Every endpoint of API.md, as OpenAPI path + method.
const EXPECTED = [
  'get /healthz',
  'get /metrics',
  'get /v1/openapi.json',
  'get /v1/grant-keys',
  'get /v1/providers',
  'post /v1/auth/prelogin',
  'post /v1/auth/register',
  'post /v1/auth/login',
  'post /v1/auth/refresh',
  'post /v1/auth/logout',
  'put /v1/auth/passphrase',
  'get /v1/me',
  'get /v1/secrets',
  'put /v1/secrets/{id}',
  'patch /v1/secrets/{id}',
  'delete /v1/secrets/{id}',
  'put /v1/secrets/order',
  'post /v1/secrets/{id}/verify',
  'post /v1/enrich',
  'get /v1/usage',
  'get /v1/usage.csv',
  'get /v1/audit',
  'get /v1/admin/policy',
  'put /v1/admin/policy',
  'get /v1/admin/members',
  'patch /v1/admin/members/{id}',
  'delete /v1/admin/members/{id}',
  'post /v1/admin/invites',
  'put /v1/admin/org-secrets/{id}',
  'delete /v1/admin/org-secrets/{id}',
  'get /v1/admin/usage',
  'get /v1/admin/audit',
  'get /v1/admin/audit/verify',
];

type Doc = {
  openapi: string;
  info: { version: string; description: string };
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters?: { name: string; in: string }[]; requestBody?: unknown }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

function build(): Doc {
  // Round-trip through JSON: the document must be plain JSON.
  return JSON.parse(JSON.stringify(buildOpenApiDocument('1.2.3'))) as Doc;
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, out));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') out.push(item);
      else refsIn(item, out);
    }
  }
  return out;
}

describe('buildOpenApiDocument', () => {
  it('is OpenAPI 3.1.0 JSON with the given version', () => {
    const doc = build();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
  });

  it('has every API.md endpoint and nothing else', () => {
    const doc = build();
    const found = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(found.sort()).toEqual([...EXPECTED].sort());
  });

  it('resolves every $ref to a component', () => {
    const doc = build();
    const refs = refsIn(doc.paths).concat(refsIn(doc.components));
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
  });

  it('documents the error body and every error code', () => {
    const doc = build();
    expect(doc.components.schemas.ErrorBody).toBeDefined();
    for (const code of ERROR_CODES) expect(doc.info.description).toContain(`\`${code}\``);
    const enrich = doc.paths['/v1/enrich']?.post;
    expect(Object.keys(enrich?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '409', '413', '424', '429', '502']));
    expect(doc.paths['/healthz']?.get?.responses['401']).toBeUndefined();
    expect(doc.paths['/v1/admin/policy']?.put?.responses['403']).toBeDefined();
  });

  it('keeps request schemas closed and response schemas open', () => {
    const doc = build();
    expect(doc.components.schemas.RegisterRequest?.additionalProperties).toBe(false);
    expect(doc.components.schemas.LoginResponse?.additionalProperties).toBeUndefined();
    expect(JSON.stringify(doc.components.schemas)).not.toContain('$schema');
  });

  it('describes path and query parameters', () => {
    const doc = build();
    const put = doc.paths['/v1/secrets/{id}']?.put;
    expect(put?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]));
    const names = doc.paths['/v1/admin/usage']?.get?.parameters?.map((parameter) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(['from', 'to', 'groupBy']));
    expect(doc.paths['/v1/secrets/{id}']?.put?.requestBody).toBeDefined();
  });

  it('documents key versions: the version in the views, ETag on writes, If-Match where a write can be conditional', () => {
    const doc = build();
    for (const response of ['PutSecretResponse', 'PutOrgSecretResponse']) {
      const schema = doc.components.schemas[response] as { properties: { secret: { properties: Record<string, unknown> } } } | undefined;
      expect(schema?.properties.secret.properties.version, response).toMatchObject({ type: 'integer', minimum: 1 });
    }
    const headerOf = (path: string, method: string, status: string) =>
      (doc.paths[path]?.[method]?.responses[status] as { headers?: Record<string, unknown> } | undefined)?.headers?.ETag;
    for (const [path, method, statuses] of [
      ['/v1/secrets/{id}', 'put', ['200', '201']],
      ['/v1/secrets/{id}', 'patch', ['200']],
      ['/v1/admin/org-secrets/{id}', 'put', ['200', '201']],
    ] as const) {
      for (const status of statuses) expect(headerOf(path, method, status), `${method} ${path} ${status}`).toBeDefined();
    }
    const ifMatch = (path: string, method: string) => doc.paths[path]?.[method]?.parameters?.some((parameter) => parameter.name === 'if-match' && parameter.in === 'header');
    for (const [path, method] of [
      ['/v1/secrets/{id}', 'put'],
      ['/v1/secrets/{id}', 'patch'],
      ['/v1/secrets/{id}', 'delete'],
      ['/v1/admin/org-secrets/{id}', 'put'],
      ['/v1/admin/org-secrets/{id}', 'delete'],
    ] as const) {
      expect(ifMatch(path, method), `${method} ${path}`).toBe(true);
    }
    expect(ifMatch('/v1/secrets/order', 'put')).toBeFalsy();
    expect(headerOf('/v1/secrets/{id}', 'delete', '204')).toBeUndefined();
  });

  it('carries the limits that matter to clients', () => {
    const doc = build();
    const enrich = doc.components.schemas.EnrichRequest as { properties: { grants: { maxItems: number } } };
    expect(enrich.properties.grants.maxItems).toBe(8);
    const sealed = JSON.stringify(doc.components.schemas.PutSecretRequest);
    expect(sealed).toContain('"minLength":54'); // wrappedDek: 40 bytes of base64url
    const operationIds = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });
});
