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
import { operations, type Operation } from '../../src/http/api/operations';
import { buildOpenApiDocument, openApiDocument, type OpenApiOperation } from '../../src/http/openapi';
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
import { newId } from '../../src/lib/ulid';
import { answerChecker, schemaChecker, type SentAnswer } from '../support/api-contract';

/**
 * The generated OpenAPI document (src/http/openapi.ts from src/http/api/operations.ts), and the
 * checker every HTTP test's answers go through (test/support/api-contract.ts). That the document
 * lists exactly the routes Express registers is test/http/openapi.test.ts.
 */

const doc = openApiDocument();

const allOperations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, op })),
  );

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((child) => collectRefs(child, out));
  else if (node !== null && typeof node === 'object')
    for (const [key, value] of Object.entries(node))
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else collectRefs(value, out);
  return out;
}

function resolve(ref: string): unknown {
  let node: unknown = doc;
  for (const key of ref.replace(/^#\//, '').split('/'))
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

describe('the generated OpenAPI document', () => {
  it('is OpenAPI 3.1 and serializes to plain JSON', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('has one operation per entry of operations.ts, each with a unique operationId', () => {
    const ids = allOperations().map(({ op }) => op.operationId);
    expect(ids).toHaveLength(operations.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves every $ref to a component', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((ref) => !ref.startsWith('#/components/') || resolve(ref) === undefined)).toEqual([]);
  });

  it('compiles every schema under ajv (JSON Schema 2020-12, strict)', () => {
    expect(() => answerChecker(doc)).not.toThrow();
  });

  it('declares the session cookie as the cookieAuth scheme, and no security on public operations', () => {
    expect(doc.components.securitySchemes.cookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'lumina.sid',
    });
    expect(doc.paths['/api/auth/signup']?.post?.security).toEqual([]);
    expect(doc.paths['/api/photos']?.get?.security).toBeUndefined();
  });

  it('declares every path parameter with a schema, and gives every operation a success answer', () => {
    for (const { method, path, op } of allOperations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared.sort(), where).toEqual(inPath.sort());
      expect(
        Object.keys(op.responses).some((status) => /^2\d\d$/.test(status)),
        where,
      ).toBe(true);
    }
  });

  it('documents 401 on protected calls, 403 on unsafe methods, 415, 500 and 503 on every /api operation', () => {
    const isPublic = (op: OpenApiOperation) => op.security?.length === 0;
    for (const { method, path, op } of allOperations()) {
      if (!path.startsWith('/api/')) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      if (!isPublic(op)) expect(statuses, where).toContain('401');
      if (method !== 'get') expect(statuses, where).toContain('403');
      expect(statuses, where).toEqual(expect.arrayContaining(['415', '500', '503']));
      for (const [status, answer] of Object.entries(op.responses))
        if (/^[45]/.test(status))
          expect(answer.content?.['application/json']?.schema, `${where} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
    }
  });

  it('documents Retry-After on every 429, Link on the feed, and the query parameters of the feed', () => {
    const limited = allOperations().filter(({ op }) => op.responses['429']);
    // The routes behind a rate limit (middleware/rate-limit.ts) at least; others may join.
    expect(limited.map(({ op }) => op.operationId)).toEqual(
      expect.arrayContaining([
        'addComment',
        'changePassword',
        'likePhoto',
        'login',
        'requestFriend',
        'sendMessage',
        'setAvatar',
        'signup',
        'unlikePhoto',
        'uploadPhoto',
      ]),
    );
    for (const { op } of limited)
      expect(Object.keys(op.responses['429']?.headers ?? {})).toContain('Retry-After');
    const feed = doc.paths['/api/photos']?.get;
    expect(Object.keys(feed?.responses['200']?.headers ?? {})).toContain('Link');
    expect(feed?.parameters?.map((p) => p.name)).toEqual([
      'scope',
      'user_id',
      'topic',
      'q',
      'limit',
      'before',
    ]);
    expect(feed?.parameters?.find((p) => p.name === 'limit')?.schema).toMatchObject({
      minimum: 1,
      maximum: 100,
      default: 50,
    });
  });

  it('writes request bodies as the schemas accept them, with their limits', () => {
    const { SignupInput, MessageInput } = doc.components.schemas;
    expect(SignupInput).toMatchObject({
      required: ['username', 'password'],
      properties: { username: { pattern: '^[A-Za-z0-9_.]{3,30}$' }, password: { minLength: 8 } },
    });
    expect(MessageInput).toMatchObject({ properties: { text: { minLength: 1, maxLength: 2000 } } });
    const upload = doc.paths['/api/photos']?.post?.requestBody?.content['multipart/form-data']?.schema;
    expect(upload).toMatchObject({
      required: ['photo'],
      properties: { caption: { maxLength: 2200 }, topic: { maxLength: 50 }, photo: { type: 'string' } },
    });
  });

  it('refuses to build an operation whose path parameter has no schema', () => {
    const broken: Operation = {
      method: 'get',
      path: '/api/things/:id',
      id: 'getThing',
      tag: 'photos',
      summary: 'A thing',
      responses: {},
    };
    expect(() => buildOpenApiDocument([broken])).toThrow(/getThing.*id/);
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
    state: 'active',
    isModerator: false,
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
    conversationId: { low: 7, high: 8 },
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
    ['Photo', toPhotoJson({ ...photo, alt: 'A lake at dusk', editedAt: createdAt })],
    ['Comment', toCommentJson(comment)],
    ['Message', toMessageJson(message)],
    ['FriendRequest', toFriendRequestJson(request)],
    ['Friend', toFriendJson(friend)],
    ['Conversation', toConversationJson(conversation)],
    ['User', toUserJson(user)],
    ['Me', toMeJson(user)],
  ];

  it.each(cases)('%s: required properties are exactly the serialized keys', (name, json) => {
    const schema = doc.components.schemas[name] as { required?: string[]; properties?: object };
    const keys = Object.keys(json).sort();
    expect([...(schema.required ?? [])].sort()).toEqual(keys);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(keys);
  });

  const fits = schemaChecker(doc);
  it.each(cases)('%s: the serialized sample fits the document', (name, json) => {
    expect(fits({ $ref: `#/components/schemas/${name}` }, json)).toEqual([]);
  });

  it('Error is exactly {message, code}', () => {
    const schema = doc.components.schemas.Error as { required?: string[]; properties?: object };
    expect([...(schema.required ?? [])].sort()).toEqual(['code', 'message']);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(['code', 'message']);
  });
});

describe('the answer checker', () => {
  const check = answerChecker(doc);
  const photo = toPhotoJson({
    id: newId(),
    userId: 7,
    username: 'ana',
    topic: null,
    caption: '',
    alt: null,
    createdAt: new Date(),
    editedAt: null,
    likes: 0,
    commentCount: 0,
    width: 10,
    height: 10,
    keys: { full: 'f', medium: 'm', thumb: 't' },
    contentType: 'image/jpeg',
    likedByMe: false,
  });
  const answer = (overrides: Partial<SentAnswer> & { json?: unknown }): SentAnswer => {
    const { json, ...rest } = overrides;
    const body = Buffer.from(JSON.stringify(json ?? photo));
    return {
      method: 'GET',
      path: `/api/photos/${photo.id}`,
      status: 200,
      contentType: 'application/json; charset=utf-8',
      length: body.length,
      body,
      ...rest,
    };
  };

  it('accepts a documented answer', () => {
    expect(check(answer({}))).toEqual([]);
  });

  it('names a missing field, a wrong type and a field the document does not list', () => {
    const { likes: _likes, ...missing } = photo;
    expect(check(answer({ json: missing })).join('\n')).toMatch(/required.*likes/);
    expect(check(answer({ json: { ...photo, width: 'wide' } })).join('\n')).toMatch(
      /\/width must be integer/,
    );
    expect(check(answer({ json: { ...photo, extra: 1 } })).join('\n')).toMatch(/additional.*extra/);
    expect(check(answer({ json: [photo] })).join('\n')).toMatch(/must be object/);
  });

  it('refuses an undocumented status, path or method, a wrong content type, and a body on a 204', () => {
    expect(check(answer({ status: 418 }))).toEqual([expect.stringMatching(/status 418 not documented/)]);
    expect(check(answer({ path: '/api/nothing-here' }))).toEqual([
      expect.stringMatching(/path not in the OpenAPI document/),
    ]);
    expect(check(answer({ method: 'PUT' }))).toEqual([
      expect.stringMatching(/method not in the OpenAPI document/),
    ]);
    expect(check(answer({ contentType: 'text/html' }))).toEqual([
      expect.stringMatching(/content type text\/html/),
    ]);
    expect(check(answer({ method: 'DELETE', status: 204, length: 2 }))).toEqual([
      expect.stringMatching(/without a body/),
    ]);
  });

  it('checks an error answer as {message, code}', () => {
    expect(
      check(answer({ status: 404, json: { message: 'No such photo.', code: 'photo_not_found' } })),
    ).toEqual([]);
    expect(check(answer({ status: 404, json: { error: 'nope' } })).join('\n')).toMatch(/required.*message/);
  });

  it('lets an unknown /api path answer only the unknown-endpoint 404 (or 401) the document describes', () => {
    const unknown = { path: '/api/nope', contentType: 'application/json' };
    expect(
      check(
        answer({ ...unknown, status: 404, json: { message: 'No API endpoint.', code: 'no_such_endpoint' } }),
      ),
    ).toEqual([]);
    expect(
      check(
        answer({
          ...unknown,
          status: 401,
          json: { message: 'authentication required', code: 'unauthenticated' },
        }),
      ),
    ).toEqual([]);
    expect(check(answer({ ...unknown, status: 404, json: { message: 'gone', code: 'gone' } }))).toHaveLength(
      1,
    );
    expect(check(answer({ ...unknown, status: 200, json: {} }))).toHaveLength(1);
  });

  it('leaves pages alone but not JSON outside /api', () => {
    expect(check(answer({ path: '/login', contentType: 'text/html', json: '<html>' }))).toEqual([]);
    expect(check(answer({ path: '/secret.json', json: {} }))).toHaveLength(1);
  });
});
