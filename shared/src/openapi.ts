// Builds the OpenAPI 3.1 document served at `GET /v1/openapi.json` from the same zod schemas
// that validate requests (wire/), with zod 4's native JSON Schema output, so the two cannot drift.
import { z } from 'zod';
import { ERROR_STATUS } from './errors';
import type { ErrorCode } from './errors';
import { ErrorBodySchema } from './wire/common';
import { API_ROUTES, routeErrors } from './wire/routes';
import type { ApiRoute, NamedSchema } from './wire/routes';
import { ProgressEvent } from './wire/enrich';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const REF_PREFIX = '#/components/schemas/';

/** JSON Schema of `schema` as a plain JSON object. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as unknown as JsonObject;
  return clean(raw, io) as JsonObject;
}

/**
 * Drops `$schema`/`$id` (the document sets the dialect) and, for responses, the closed-object
 * `additionalProperties: false`: API.md lets responses gain fields, so clients must not reject them.
 */
function clean(value: Json, io: 'input' | 'output'): Json {
  if (Array.isArray(value)) return value.map((item) => clean(item, io));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$schema' || key === '$id') continue;
    if (io === 'output' && key === 'additionalProperties' && item === false) continue;
    out[key] = clean(item, io);
  }
  return out;
}

/** Registers `named` once under its name; a name reused for another schema is a bug. */
function addComponent(components: Map<string, JsonObject>, named: NamedSchema, io: 'input' | 'output'): Json {
  if (!components.has(named.name)) components.set(named.name, jsonSchemaOf(named.schema, io));
  return { $ref: `${REF_PREFIX}${named.name}` };
}

/** `/v1/secrets/:id` -> `/v1/secrets/{id}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(route: ApiRoute): Json[] {
  const out: Json[] = [];
  const add = (schema: z.ZodType | undefined, location: 'path' | 'query'): void => {
    if (!schema) return;
    const json = jsonSchemaOf(schema, 'input');
    const properties = (json['properties'] ?? {}) as JsonObject;
    const required = new Set((json['required'] ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      out.push({ name, in: location, required: location === 'path' || required.has(name), schema: property });
    }
  };
  add(route.params, 'path');
  add(route.query, 'query');
  return out;
}

function errorResponses(route: ApiRoute): JsonObject {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrors(route)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: JsonObject = {};
  for (const [status, codes] of [...byStatus.entries()].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `Error: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      content: { 'application/json': { schema: { $ref: `${REF_PREFIX}ErrorBody` } } },
      'x-error-codes': codes,
    };
  }
  return out;
}

const ETAG_HEADER: JsonObject = {
  description: 'The key\'s version, quoted ("7"): the `version` of the key in the body.',
  schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' },
};

const IF_MATCH_PARAMETER: JsonObject = {
  name: 'if-match',
  in: 'header',
  required: false,
  description:
    'The version (ETag) of the key the change is meant for: if the key has moved on, or is gone, the answer is 409 ' +
    '`conflict` and nothing changes. `*` and lists are refused (400). Without it, the last write wins.',
  schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' },
};

function operationOf(route: ApiRoute, components: Map<string, JsonObject>): JsonObject {
  const responses: JsonObject = {};
  for (const success of route.success) {
    const content: JsonObject = {};
    if (success.body) {
      content['application/json'] = { schema: addComponent(components, success.body, 'output') };
    } else if (success.mediaType) {
      content[success.mediaType] = { schema: success.mediaType === 'application/json' ? { type: 'object' } : { type: 'string' } };
    }
    if (route.streams) {
      content['text/event-stream'] = {
        schema: {
          type: 'string',
          description:
            'With `Accept: text/event-stream`: `event: progress` frames (data: ProgressEvent), then one ' +
            '`event: result` (data: the JSON body) or `event: error` (data: ErrorBody).',
        },
      };
    }
    responses[String(success.status)] = {
      description: success.description,
      ...(route.etag === 'conditional' && success.body ? { headers: { ETag: ETAG_HEADER } } : {}),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  Object.assign(responses, errorResponses(route));
  const operation: JsonObject = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.auth === 'none' ? [] : [{ bearerAuth: [] }],
    responses,
  };
  if (route.auth === 'admin') operation['description'] = 'Owner or admin only.';
  const parameters = parametersOf(route);
  if (route.method === 'post' && route.path === '/v1/enrich') {
    parameters.push({
      name: 'x-request-id',
      in: 'header',
      required: false,
      description: 'Idempotency key: a repeat by the same user within 24 hours returns the stored result.',
      schema: { type: 'string', maxLength: 128 },
    });
  }
  if (route.etag !== undefined) parameters.push(IF_MATCH_PARAMETER);
  if (parameters.length > 0) operation['parameters'] = parameters;
  if (route.body) {
    operation['requestBody'] = {
      required: true,
      content: { 'application/json': { schema: addComponent(components, route.body, 'input') } },
    };
  }
  return operation;
}

/** The OpenAPI 3.1 document of API.md; `version` is the server's package version. */
export function buildOpenApiDocument(version: string): JsonObject {
  const components = new Map<string, JsonObject>();
  components.set('ErrorBody', jsonSchemaOf(ErrorBodySchema, 'output'));
  components.set('ProgressEvent', jsonSchemaOf(ProgressEvent, 'output'));
  const paths: JsonObject = {};
  for (const route of API_ROUTES) {
    const key = openApiPath(route.path);
    const item = (paths[key] ?? {}) as JsonObject;
    item[route.method] = operationOf(route, components);
    paths[key] = item;
  }
  const errorTable = Object.entries(ERROR_STATUS)
    .map(([code, status]) => `| \`${code}\` | ${status} |`)
    .join('\n');
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'BYOK Companion API',
      version,
      description:
        'Bring your own AI key, end-to-end encrypted. Errors answer `{ "error": { "code", "message" } }`; ' +
        'times are ISO 8601 UTC; money is integer micro-dollars.\n\n| code | status |\n| --- | --- |\n' +
        errorTable,
    },
    tags: ['discovery', 'accounts', 'secrets', 'enrichment', 'usage', 'audit', 'admin'].map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(components),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    'x-error-codes': Object.fromEntries(Object.entries(ERROR_STATUS)),
  };
}
