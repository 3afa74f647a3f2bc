import type { ServerResponse } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { App } from '../../src/app';
import { openApiDocument, type OpenApiDocument } from '../../src/http/openapi';

/**
 * Every answer the HTTP tests receive, checked against the OpenAPI document the server serves
 * (src/http/openapi.ts): a documented path and method, a documented status, the documented
 * content type, and a body that fits the documented schema (ajv, JSON Schema 2020-12).
 * makeTestApp wraps its app in checkedApp, so every HTTP test is checked without asking.
 */

/** One answer as the server sent it. */
export interface SentAnswer {
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
  contentType: string | undefined;
  /** Bytes sent (compressed, when they were). */
  length: number;
  /** A JSON body, decompressed; empty for any other. */
  body: Buffer;
}

/**
 * Answers to a path the document does not list. The document says (info.description) that an
 * unknown /api endpoint is 404 `no_such_endpoint`, or 401 first under a signed-in-only prefix.
 */
const UNLISTED: Record<number, string> = { 401: 'unauthenticated', 404: 'no_such_endpoint' };

const isJson = (contentType: string | undefined) =>
  /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? '');
const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** `#/components/schemas/X` → `components#/$defs/X`, so each answer's schema compiles on its own. */
function retarget(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(retarget);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string'
        ? [key, value.replace('#/components/schemas/', 'components#/$defs/')]
        : [key, retarget(value)],
    ),
  );
}

interface Route {
  pattern: RegExp;
  path: string;
  methods: Record<string, OpenApiDocument['paths'][string][string]>;
}

export type AnswerChecker = (answer: SentAnswer) => string[];

/** What is wrong with a value according to a schema of `doc` (refs to its components allowed). */
export function schemaChecker(doc: OpenApiDocument): (schema: unknown, value: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'components', $defs: retarget(doc.components.schemas) as object });
  // Compiled now, so a schema ajv cannot read fails here rather than at the first answer.
  for (const name of Object.keys(doc.components.schemas))
    if (!ajv.getSchema(`components#/$defs/${name}`)) throw new Error(`OpenAPI: no schema ${name}`);
  const validators = new Map<unknown, ValidateFunction>();
  return (schema, value) => {
    let validate = validators.get(schema);
    if (!validate) validators.set(schema, (validate = ajv.compile(retarget(schema) as object)));
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `body${e.instancePath} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  };
}

/** Returns what is wrong with an answer according to `doc` (nothing when it fits). */
export function answerChecker(doc: OpenApiDocument = openApiDocument()): AnswerChecker {
  const fits = schemaChecker(doc);
  const isError = (value: unknown) => fits({ $ref: '#/components/schemas/Error' }, value).length === 0;

  // Express matches paths without regard to case, with or without a trailing slash.
  const routes: Route[] = Object.entries(doc.paths).map(([path, methods]) => ({
    path,
    methods,
    pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}/?$`, 'i'),
  }));

  const parseJson = (body: Buffer): { value?: unknown; problem?: string } => {
    try {
      return { value: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      return { problem: 'the body is not valid JSON' };
    }
  };

  return ({ method, path, status, contentType, length, body }) => {
    const where = `${method} ${path} → ${status}`;
    const isHead = method === 'HEAD';
    const route = routes.find((r) => r.pattern.test(path));
    const op = route?.methods[isHead ? 'get' : method.toLowerCase()];

    if (!op) {
      // Only JSON and /api answers are the API's; pages and static files are not in the document.
      if (!/^\/api(?:\/|$)/i.test(path) && !isJson(contentType) && !route) return [];
      const code = UNLISTED[status];
      if (!code) return [`${where}: ${route ? 'method' : 'path'} not in the OpenAPI document`];
      if (isHead) return [];
      const parsed = parseJson(body);
      if (parsed.problem) return [`${where}: ${parsed.problem}`];
      const value = parsed.value as { code?: unknown };
      if (!isJson(contentType) || !isError(value) || value.code !== code)
        return [
          `${where}: not in the OpenAPI document, and not the ${code} error it describes for unknown endpoints`,
        ];
      return [];
    }

    const documented = op.responses[String(status)];
    if (!documented) return [`${where}: status ${status} not documented for ${method} ${route?.path}`];
    const content = documented.content ?? {};
    const types = Object.keys(content);
    if (types.length === 0) {
      return length > 0 ? [`${where}: documented without a body, but ${length} bytes were sent`] : [];
    }
    if (!types.includes(mediaType(contentType)))
      return [`${where}: content type ${contentType ?? '(none)'} is not one of ${types.join(', ')}`];
    const schema = content[mediaType(contentType)]?.schema;
    if (isHead || !schema || !isJson(contentType)) return [];
    const parsed = parseJson(body);
    if (parsed.problem) return [`${where}: ${parsed.problem}`];
    return fits(schema, parsed.value).map((problem) => `${where}: ${problem}`);
  };
}

let sharedChecker: AnswerChecker | undefined;

/** Fails the running test without stopping it; outside a test (a hook), fails the run. */
function failCurrentTest(problems: string[]): void {
  const message = `The answer does not match the OpenAPI document:\n  ${problems.join('\n  ')}`;
  try {
    expect.soft(problems, message).toEqual([]);
  } catch {
    setImmediate(() => {
      throw new Error(message);
    });
  }
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  if (body.length === 0) return body;
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
      return gunzipSync(body);
    case 'br':
      return brotliDecompressSync(body);
    case 'deflate':
      return inflateSync(body);
    default:
      return body;
  }
}

const header = (res: ServerResponse, name: string) => {
  const value = res.getHeader(name);
  return value === undefined ? undefined : String(value);
};

/**
 * The app, with every answer checked as it is sent: the problems go to `report` (by default,
 * they fail the running test). Only JSON bodies are kept, so image bytes are not held.
 */
export function checkedApp(app: App, report: (problems: string[]) => void = failCurrentTest): App {
  const check = (sharedChecker ??= answerChecker());
  return (req, res) => {
    // Express rewrites req.url while a mounted router runs; the path asked for is this one.
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    let length = 0;
    const keep = (chunk: unknown, encoding: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const bytes =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      length += bytes.length;
      if (isJson(header(res, 'content-type'))) chunks.push(bytes);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      let body: Buffer | undefined;
      try {
        body = decode(Buffer.concat(chunks), header(res, 'content-encoding'));
      } catch (err) {
        report([`${req.method} ${url}: the body could not be decompressed (${String(err)})`]);
      }
      const problems = body
        ? check({
            method: req.method ?? 'GET',
            path: url.split('?')[0] ?? url,
            status: res.statusCode,
            contentType: header(res, 'content-type'),
            length,
            body,
          })
        : [];
      if (problems.length > 0) report(problems);
      return end(chunk, ...rest);
    }) as typeof res.end;
    app(req, res);
  };
}
