import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  Comment,
  Conversation,
  Friend,
  FriendRequest,
  Message,
  PhotoView,
  User,
} from '../../src/domain/types';
import { MESSAGES_POLL_PATH } from '../../src/http/api/messages-poll';
import { newId } from '../../src/lib/ulid';
import {
  toCommentJson,
  toConversationJson,
  toFriendJson,
  toFriendRequestJson,
  toMeJson,
  toMessageJson,
  toPhotoJson,
  toUserJson,
} from '../../src/http/serializers';

/**
 * docs/openapi.json against the code: every $ref resolves, the documented routes are exactly the
 * registered ones, and the response schemas describe exactly what the serializers produce.
 */

const ROOT = join(__dirname, '..', '..');

interface Schema {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
}

interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  responses?: Record<string, { $ref?: string; headers?: Record<string, unknown> }>;
}

type PathItem = Record<string, unknown> & { parameters?: Parameter[] };

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes?: Record<string, { type?: string; in?: string; name?: string }>;
  } & Record<string, Record<string, unknown>>;
}

const doc = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')) as OpenApiDoc;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Follows a local JSON pointer such as `#/components/schemas/Photo`; undefined when it leads nowhere. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key))
      return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function collectRefs(node: unknown, at: string, out: { ref: string; at: string }[]): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => collectRefs(child, `${at}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === '$ref' && typeof value === 'string') out.push({ ref: value, at });
    else collectRefs(value, `${at}/${key}`, out);
  }
}

function deref<T extends { $ref?: string }>(node: T): T {
  return node.$ref ? deref(resolvePointer(node.$ref) as T) : node;
}

function operations(): { method: string; path: string; op: Operation; item: PathItem }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op: op as Operation, item })),
  );
}

/** Routes as the code registers them: `api.get('/photos/:id', …)` → `GET /api/photos/{id}`. */
function registeredRoutes(): string[] {
  const toOpenApi = (path: string) => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');
  const scan = (file: string, receiver: string, prefix: string): string[] => {
    const source = readFileSync(file, 'utf8');
    const call = new RegExp(
      `\\b${receiver}\\.(get|post|put|patch|delete)\\(\\s*(\\[[^\\]]*\\]|'[^']*'|"[^"]*"|\`[^\`]*\`)`,
      'g',
    );
    const routes: string[] = [];
    for (const match of source.matchAll(call)) {
      const [, method = '', first = ''] = match;
      for (const literal of first.matchAll(/'([^']*)'|"([^"]*)"|`([^`]*)`/g)) {
        const path = literal[1] ?? literal[2] ?? literal[3] ?? '';
        routes.push(`${method.toUpperCase()} ${prefix}${toOpenApi(path)}`);
      }
    }
    return routes;
  };
  const apiDir = join(ROOT, 'src', 'http', 'api');
  const apiRoutes = readdirSync(apiDir)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => scan(join(apiDir, name), 'api', '/api'));
  // The probes are registered on the app itself, outside /api.
  const appRoutes = scan(join(ROOT, 'src', 'app.ts'), 'app', '');
  // The chat poll is answered before Express (messages-poll.ts).
  const pollRoute = `GET ${MESSAGES_POLL_PATH}`;
  return [...apiRoutes, ...appRoutes, pollRoute].sort();
}

/** A small JSON Schema check, enough to say a serializer's output fits its documented schema. */
function problems(schemaOrRef: Schema, value: unknown, at = '$'): string[] {
  const schema = deref(schemaOrRef);
  if (schema.anyOf) {
    return schema.anyOf.some((s) => problems(s, value, at).length === 0)
      ? []
      : [`${at}: matches no anyOf branch`];
  }
  const out: string[] = [];
  const kindOf = (v: unknown): string[] => {
    if (v === null) return ['null'];
    if (Array.isArray(v)) return ['array'];
    if (typeof v === 'number') return Number.isInteger(v) ? ['integer', 'number'] : ['number'];
    return [typeof v];
  };
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!kindOf(value).some((k) => allowed.includes(k)))
      out.push(`${at}: ${JSON.stringify(value)} is not ${allowed.join('|')}`);
  }
  if ('const' in schema && value !== schema.const)
    out.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      out.push(`${at}: ${value} does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${at}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${at}: too long`);
    if (schema.format === 'date-time' && new Date(value).toISOString() !== value)
      out.push(`${at}: not an ISO 8601 date-time`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: above ${schema.maximum}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) out.push(`${at}.${key}: missing`);
    for (const [key, child] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) out.push(...problems(sub, child, `${at}.${key}`));
      else if (schema.additionalProperties === false) out.push(`${at}.${key}: not documented`);
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((item, i) => out.push(...problems(schema.items as Schema, item, `${at}[${i}]`)));
  return out;
}

describe('docs/openapi.json', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  });

  it('resolves every $ref to an existing component', () => {
    const refs: { ref: string; at: string }[] = [];
    collectRefs(doc, '#', refs);
    expect(refs.length).toBeGreaterThan(0);
    const broken = refs.filter(
      ({ ref }) => !ref.startsWith('#/components/') || resolvePointer(ref) === undefined,
    );
    expect(broken).toEqual([]);
  });

  it('declares the session cookie as the cookieAuth scheme', () => {
    expect(doc.components.securitySchemes?.cookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'lumina.sid',
    });
  });

  it('documents exactly the routes the API routers and the app register, with the same methods', () => {
    const registered = registeredRoutes();
    // Guard against a regex that silently finds nothing.
    expect(registered.length).toBeGreaterThanOrEqual(25);
    expect(registered).toContain('GET /api/photos/{id}/image/{size}');
    expect(registered).toContain('GET /healthz');
    const documented = operations()
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    expect(documented.filter((r) => !registered.includes(r))).toEqual([]); // documented but not registered
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]); // registered but not documented
    expect(new Set(registered).size).toBe(registered.length);
  });

  it('declares every path parameter, and gives each operation a unique id and a success response', () => {
    const ids = new Set<string>();
    for (const { method, path, op, item } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map((p) => deref(p))
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(declared.sort(), where).toEqual(inPath.sort());
      expect(op.operationId, where).toBeTruthy();
      expect(ids.has(op.operationId ?? ''), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId ?? '');
      expect(
        Object.keys(op.responses ?? {}).some((status) => /^2\d\d$/.test(status)),
        where,
      ).toBe(true);
    }
  });

  it('documents 403 on every unsafe /api method, 401 on every protected /api call, Retry-After on every 429', () => {
    const open = new Set(['POST /api/auth/signup', 'POST /api/auth/login', 'POST /api/auth/logout']);
    for (const { method, path, op } of operations()) {
      if (!path.startsWith('/api/')) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const responses = op.responses ?? {};
      if (method !== 'get') expect(responses['403'], where).toBeDefined();
      if (!open.has(where)) expect(responses['401'], where).toBeDefined();
      const tooMany = responses['429'];
      if (tooMany) expect(Object.keys(deref(tooMany).headers ?? {}), where).toContain('Retry-After');
    }
    const photos = doc.paths['/api/photos']?.get as Operation | undefined;
    expect(Object.keys(photos?.responses?.['200']?.headers ?? {})).toContain('Link');
  });
});

describe('response schemas match the serializers', () => {
  const createdAt = new Date('2024-05-01T12:34:56.789Z');
  const photoId = newId();
  const user: User = {
    id: 7,
    username: 'ana.maria_1',
    email: 'ana.maria_1@lumina.local',
    createdAt,
    bio: 'Lakes and light.',
    avatarId: null,
  };
  const photo: PhotoView = {
    id: photoId,
    userId: 7,
    username: 'ana.maria_1',
    topic: 'sunsets',
    caption: 'Evening at the lake',
    alt: null,
    createdAt,
    editedAt: null,
    likes: 3,
    commentCount: 2,
    width: 2048,
    height: 1365,
    keys: { full: `photos/${photoId}/full.jpg`, medium: null, thumb: `photos/${photoId}/thumb.jpg` },
    contentType: 'image/jpeg',
    likedByMe: true,
  };
  const comment: Comment = {
    id: newId(),
    photoId,
    userId: 8,
    username: 'bob',
    text: 'Lovely light',
    createdAt,
  };
  const message: Message = {
    id: newId(),
    conversationId: 'CONV#7#8',
    fromUserId: 7,
    fromUsername: 'ana.maria_1',
    toUserId: 8,
    toUsername: 'bob',
    text: 'Hello there',
    createdAt,
  };
  const request: FriendRequest = {
    id: 12,
    requesterId: 7,
    requesterUsername: 'ana.maria_1',
    receiverId: 8,
    receiverUsername: 'bob',
    status: 'pending',
    createdAt,
    respondedAt: null,
  };
  const friend: Friend = { id: 8, username: 'bob', since: createdAt };
  const conversation: Conversation = {
    userId: 8,
    username: 'bob',
    lastMessage: { id: message.id, text: message.text, fromUserId: 7, createdAt },
    unread: 1,
  };

  const cases: [schema: string, json: Record<string, unknown>][] = [
    ['Photo', toPhotoJson(photo)],
    [
      'Photo',
      toPhotoJson({ ...photo, topic: null, caption: '', likedByMe: false, likes: 0, commentCount: 0 }),
    ],
    ['Comment', toCommentJson(comment)],
    ['Message', toMessageJson(message)],
    ['FriendRequest', toFriendRequestJson(request)],
    ['Friend', toFriendJson(friend)],
    ['Conversation', toConversationJson(conversation)],
    ['User', toUserJson(user)],
    ['Me', toMeJson(user)],
  ];

  it.each(cases)('%s: required properties are exactly the serialized keys', (name, json) => {
    const schema = doc.components.schemas[name];
    expect(schema, name).toBeDefined();
    const keys = Object.keys(json).sort();
    expect([...(schema?.required ?? [])].sort()).toEqual(keys);
    expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(keys);
  });

  it.each(cases)('%s: the serialized sample fits the schema', (name, json) => {
    expect(problems({ $ref: `#/components/schemas/${name}` }, json)).toEqual([]);
  });

  it('Conversation.last_message documents exactly the nested keys', () => {
    const nested = toConversationJson(conversation).last_message;
    const schema = deref(doc.components.schemas.Conversation?.properties?.last_message ?? {});
    expect([...(schema.required ?? [])].sort()).toEqual(Object.keys(nested).sort());
  });

  it('Error is exactly {message, code}', () => {
    expect([...(doc.components.schemas.Error?.required ?? [])].sort()).toEqual(['code', 'message']);
    expect(Object.keys(doc.components.schemas.Error?.properties ?? {}).sort()).toEqual(['code', 'message']);
  });
});
