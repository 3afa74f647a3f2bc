import { z } from 'zod';
import { namedSchemas, operations, type Answer, type HeaderName, type Operation } from './api/operations';

/**
 * The OpenAPI 3.1 document, generated from api/operations.ts: the zod schemas the routers parse
 * requests with and the ones beside the serializers. Served at GET /api/openapi.json.
 *
 * zod 4 writes JSON Schema draft 2020-12 itself (z.toJSONSchema), which is the dialect of
 * OpenAPI 3.1, so the schemas go into the document as zod writes them; this file only adds the
 * OpenAPI frame around them (paths, parameters, bodies, answers).
 */

type JsonSchema = Record<string, unknown>;

export interface OpenApiOperation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: {
    name: string;
    in: 'path' | 'query' | 'header';
    required: boolean;
    description?: string;
    schema: JsonSchema;
  }[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  security: Record<string, string[]>[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    headers: Record<HeaderName | 'Retry-After', { description: string; schema: JsonSchema }>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

const COMPONENTS = '#/components/schemas/';

const DESCRIPTION = `The JSON API of Lumina. All \`/api/*\` answers are JSON except image bytes; every error is exactly \`{message, code}\` (\`Error\`): a sentence for people and a machine code.

Authentication is the session cookie set by signup and login (\`cookieAuth\`). Unsafe methods (POST, PUT, PATCH, DELETE) sent from another site are refused with 403 \`cross_site\`; clients that send neither Origin nor Sec-Fetch-Site pass. Request bodies are JSON, or multipart for uploads; anything else is 415.

Answers to a signed-in caller carry \`Cache-Control: no-store\` (except image bytes). Every answer carries \`X-Request-Id\`. An unknown \`/api\` endpoint answers 404 \`no_such_endpoint\` (401 first under a signed-in-only prefix).

Ids: users and friend requests are integers; photos, comments and messages are ULIDs. \`timestamp\` is milliseconds since the epoch, \`created_at\` ISO 8601.`;

const TAGS = [
  { name: 'auth' },
  { name: 'users' },
  { name: 'photos' },
  { name: 'comments' },
  { name: 'friends' },
  { name: 'messages' },
  { name: 'activity', description: 'What happened to the caller, and the navigation counts.' },
  { name: 'operations', description: 'Probes and this document.' },
];

const HEADERS: OpenApiDocument['components']['headers'] = {
  'Set-Cookie': {
    description:
      'The session cookie: `HttpOnly; SameSite=Lax`, `Secure` behind TLS; a new session id at every sign-in.',
    schema: { type: 'string' },
  },
  Link: {
    description: 'Only when there is a next page: `<same path and filters, before=<cursor>>; rel="next"`.',
    schema: { type: 'string' },
  },
  Location: { description: 'The new resource.', schema: { type: 'string', format: 'uri-reference' } },
  'Retry-After': {
    description: 'Seconds until the rate-limit window resets (at least 1).',
    schema: { type: 'integer', minimum: 1 },
  },
  RateLimit: {
    description: 'IETF draft-7 rate-limit header, e.g. `limit=10, remaining=9, reset=900`.',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description: 'IETF draft-7 rate-limit policy, e.g. `10;w=900`.',
    schema: { type: 'string' },
  },
  ETag: { description: 'Send it back in If-None-Match to get a 304.', schema: { type: 'string' } },
  'Cache-Control': {
    description: 'Image keys never change content: `private, max-age=31536000, immutable`.',
    schema: { type: 'string' },
  },
  'Content-Disposition': {
    description:
      'A download, with the name to save it under: `attachment; filename="lumina-<username>-<date>.zip"`.',
    schema: { type: 'string' },
  },
};

const headerRefs = (names: (HeaderName | 'Retry-After')[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** Applied to every schema zod writes: descriptions from `.meta()`, and less noise. */
function tidy({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const description = z.globalRegistry.get(zodSchema as z.ZodType)?.description;
  if (description !== undefined) jsonSchema.description = description;
  // zod spells date-time out as a long pattern too; the format says it.
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  // The bounds zod adds to every integer are JavaScript's, not ours.
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
}

/** `#/$defs/Name` (where zod puts named schemas inside one schema) to `#/components/schemas/Name`. */
function pointRefsAtComponents(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(pointRefsAtComponents);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string'
        ? [key, value.replace(/^#\/\$defs\//, COMPONENTS)]
        : [key, pointRefsAtComponents(value)],
    ),
  );
}

/**
 * JSON Schema for one side of the exchange: requests as the schemas accept them (`input`: before
 * defaults and transforms), answers as the serializers write them (`output`: no other fields).
 */
function schemaWriter(io: 'input' | 'output', named: Record<string, z.ZodType>) {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  const ids = new Set(Object.keys(named));
  for (const [id, schema] of Object.entries(named)) {
    registry.add(schema, { id });
    names.set(schema, id);
  }
  const options = { io, unrepresentable: 'throw', override: tidy } as const;
  return {
    /** The named schemas, for #/components/schemas. */
    components(): Record<string, JsonSchema> {
      const { schemas } = z.toJSONSchema(registry, { ...options, uri: (id) => `${COMPONENTS}${id}` });
      return Object.fromEntries(
        Object.entries(schemas).map(([id, { $id: _id, $schema: _dialect, ...schema }]) => [id, schema]),
      );
    },
    /** One schema where it is used: a reference when it is named. */
    write(schema: z.ZodType): JsonSchema {
      const name = names.get(schema);
      if (name) return { $ref: `${COMPONENTS}${name}` };
      const {
        $schema: _dialect,
        $defs,
        ...rest
      } = z.toJSONSchema(schema, { ...options, metadata: registry });
      const unnamed = Object.keys($defs ?? {}).filter((id) => !ids.has(id));
      if (unnamed.length > 0) throw new Error(`OpenAPI: unexpected shared schemas ${unnamed.join(', ')}`);
      return pointRefsAtComponents(rest) as JsonSchema;
    },
  };
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** Moves a schema's description up to the parameter, where OpenAPI readers look for it. */
function parameter(name: string, where: 'path' | 'query' | 'header', required: boolean, schema: JsonSchema) {
  const { description, ...rest } = schema;
  return {
    name,
    in: where,
    required,
    ...(typeof description === 'string' ? { description } : {}),
    schema: rest,
  };
}

/** The answers every /api route shares, by what the route is (see operations.ts). */
function sharedAnswers(op: Operation): Record<number, string> {
  const shared: Record<number, string> = {};
  if (!op.isPublic) shared[401] = 'No signed-in session.';
  if (op.method !== 'get') shared[403] = 'An unsafe method sent from another site (`cross_site`).';
  if (op.query) shared[400] = 'A query parameter is invalid: the sentence names it.';
  if (op.body) {
    shared[400] = 'The body is not valid JSON, or a field is invalid: the sentence names it.';
    shared[413] = 'The JSON body is larger than JSON_BODY_LIMIT.';
  }
  // The API reads any body it is sent, so a body of another type is refused on every route.
  shared[415] = op.body
    ? 'The body is not JSON, or its encoding is not supported.'
    : 'A body was sent that is neither JSON nor multipart.';
  if (op.isLimited) shared[429] = 'Rate limited: wait Retry-After seconds.';
  shared[500] = 'An unexpected error; never a stack trace.';
  shared[503] = 'A backing store did not answer in time; never a hang.';
  return shared;
}

function buildDocument(ops: Operation[]): OpenApiDocument {
  const requests = schemaWriter('input', namedSchemas.requests);
  const responses = schemaWriter('output', namedSchemas.responses);
  const errorSchema = responses.write(namedSchemas.responses.Error);

  const answer = ({ description, headers, ...body }: Answer): OpenApiResponse => ({
    description,
    ...(headers ? { headers: headerRefs(headers) } : {}),
    ...('json' in body ? { content: { 'application/json': { schema: responses.write(body.json) } } } : {}),
    ...('image' in body ? { content: Object.fromEntries(body.image.map((type) => [type, {}])) } : {}),
    ...('text' in body
      ? { content: Object.fromEntries(body.text.map((type) => [type, { schema: { type: 'string' } }])) }
      : {}),
    ...('file' in body
      ? {
          content: Object.fromEntries(
            body.file.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
          ),
        }
      : {}),
  });

  const operation = (op: Operation): OpenApiOperation => {
    const inPath = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
    const parameters = inPath.map((name) => {
      const schema = op.params?.[name];
      if (!schema) throw new Error(`OpenAPI: ${op.id} has no schema for the path parameter ${name}`);
      return parameter(name, 'path', true, requests.write(schema));
    });
    if (op.query) {
      const query = requests.write(op.query) as {
        properties?: Record<string, JsonSchema>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(query.properties ?? {}))
        parameters.push(parameter(name, 'query', query.required?.includes(name) ?? false, schema));
    }

    for (const [name, schema] of Object.entries(op.headers ?? {}))
      parameters.push(
        parameter(name, 'header', !schema.safeParse(undefined).success, requests.write(schema)),
      );

    let requestBody: OpenApiOperation['requestBody'];
    if (op.body)
      requestBody = { required: true, content: { 'application/json': { schema: requests.write(op.body) } } };
    if (op.upload) {
      const fields = requests.write(op.upload.fields) as { properties?: JsonSchema; required?: string[] };
      const schema = {
        type: 'object',
        properties: {
          ...fields.properties,
          [op.upload.file]: {
            type: 'string',
            contentMediaType: 'application/octet-stream',
            description: 'The file.',
          },
        },
        required: [...(fields.required ?? []), op.upload.file],
      };
      requestBody = { required: true, content: { 'multipart/form-data': { schema } } };
    }

    const answers: Record<string, OpenApiResponse> = {};
    for (const [status, declared] of Object.entries(op.responses))
      if (declared) answers[status] = answer(declared);
    if (op.path.startsWith('/api/')) {
      for (const [status, description] of Object.entries(sharedAnswers(op))) {
        const declared = answers[status];
        answers[status] = declared
          ? { ...declared, description: `${declared.description} Or: ${description}` }
          : {
              description,
              content: { 'application/json': { schema: errorSchema } },
              ...(status === '429'
                ? { headers: headerRefs(['Retry-After', 'RateLimit', 'RateLimit-Policy']) }
                : {}),
            };
      }
    }

    return {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.security ? { security: [{ [op.security]: [] }] } : op.isPublic ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses: Object.fromEntries(Object.entries(answers).sort(([a], [b]) => a.localeCompare(b))),
    };
  };

  const paths: OpenApiDocument['paths'] = {};
  for (const op of ops) (paths[toOpenApiPath(op.path)] ??= {})[op.method] = operation(op);

  const schemas = { ...requests.components() };
  for (const [name, schema] of Object.entries(responses.components())) {
    if (name in schemas) throw new Error(`OpenAPI: ${name} names a request and a response schema`);
    schemas[name] = schema;
  }

  return {
    openapi: '3.1.0',
    info: { title: 'Lumina API', version: '0.1.0', description: DESCRIPTION },
    servers: [{ url: '/' }],
    security: [{ cookieAuth: [] }],
    tags: TAGS,
    paths,
    components: {
      schemas,
      headers: HEADERS,
      securitySchemes: {
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'lumina.sid',
          description: 'The session cookie (SESSION_COOKIE_NAME, `lumina.sid` by default).',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The METRICS_TOKEN of the environment.',
        },
      },
    },
  };
}

let built: OpenApiDocument | undefined;

/** The document for the routes of api/operations.ts, built once. */
export function openApiDocument(): OpenApiDocument {
  return (built ??= buildDocument(operations));
}

/** For tests: the document of another list of operations. */
export const buildOpenApiDocument = buildDocument;
