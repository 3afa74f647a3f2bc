import type { IncomingMessage } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, earlyRouteTable, type App } from '../../src/app';
import { createRateLimits } from '../../src/http/middleware/rate-limit';
import { openApiDocument } from '../../src/http/openapi';
import { pageRouter } from '../../src/http/pages';
import { checkedApp } from '../support/api-contract';
import { makeTestApp, type TestApp } from '../support/app';

/**
 * The served document against the running code: every route Express registers is documented and
 * every documented operation is a registered route, read from the routers themselves; and the
 * check every HTTP test goes through (test/support/api-contract.ts) fails on a wrong answer.
 */

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** `GET /api/photos/{id}` for every route in a router and the routers mounted in it. */
function routesOf(router: unknown, prefix = ''): string[] {
  return ((router as { stack?: Layer[] }).stack ?? []).flatMap((layer) => {
    if (layer.route) {
      const { path, methods } = layer.route;
      const verbs = Object.keys(methods).filter((m) => m !== '_all');
      return [path]
        .flat()
        .flatMap((p) =>
          verbs.map((verb) => `${verb.toUpperCase()} ${prefix}${p.replace(/:(\w+)/g, '{$1}')}`),
        );
    }
    if (!layer.handle?.stack) return [];
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    return routesOf(layer.handle, prefix + mount);
  });
}

/** The Express application inside createApp's node:http handler, as the request saw it. */
async function expressOf(app: App): Promise<Express> {
  let seen: (IncomingMessage & { app?: Express }) | undefined;
  await request((req: IncomingMessage, res: Parameters<App>[1]) => {
    seen = req;
    app(req, res);
  })
    .get('/healthz')
    .expect(200);
  const express = seen?.app;
  if (!express) throw new Error('the request never reached Express');
  return express;
}

describe('the OpenAPI document and the routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    // With a metrics token, so /metrics is registered too.
    t = await makeTestApp({ METRICS_TOKEN: 'metrics-token-for-tests-0123456789' });
  });
  afterAll(() => t.close());

  it('documents exactly the routes Express registers outside the pages, and the early routes before it', async () => {
    const express = await expressOf(createApp(t.container));
    const all = routesOf(express.router);
    const limits = createRateLimits(t.container.storage.rateLimits, t.config.rateLimits);
    const pages = new Set(routesOf(pageRouter(t.container.services, t.config, limits)));
    const early = earlyRouteTable(t.container).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const registered = [...all.filter((route) => !pages.has(route)), ...early].sort();
    // Guard against a walk that silently finds nothing.
    expect(registered.length).toBeGreaterThanOrEqual(28);
    expect(registered).toContain('GET /api/photos/{id}/image/{size}');
    expect(registered).toContain('GET /healthz');

    const documented = Object.entries(openApiDocument().paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]); // registered, not documented
    expect(documented.filter((r) => !registered.includes(r))).toEqual([]); // documented, not registered
    expect(new Set(registered).size).toBe(registered.length);
  });

  it('GET /api/openapi.json serves the generated document to anyone', async () => {
    const res = await request(t.app).get('/api/openapi.json').expect(200).expect('Content-Type', /json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(res.body).toMatchObject({ openapi: '3.1.0', info: { title: 'Lumina API' } });
  });
});

describe('the answer check every HTTP test goes through', () => {
  /** A stand-in server answering whatever `send` writes, with the check reporting into `problems`. */
  const checked = (send: (res: Parameters<App>[1]) => void) => {
    const problems: string[] = [];
    const app = checkedApp(
      (_req, res) => send(res),
      (found) => problems.push(...found),
    );
    return { app, problems };
  };
  const jsonAnswer = (status: number, body: unknown) => (res: Parameters<App>[1]) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  };

  it('accepts a right answer', async () => {
    const { app, problems } = checked(
      jsonAnswer(200, {
        id: 1,
        username: 'ana',
        email: 'a@b',
        created_at: new Date().toISOString(),
        avatar: null,
        bio: '',
      }),
    );
    await request(app).get('/api/auth/me').expect(200);
    expect(problems).toEqual([]);
  });

  it('catches a missing field and a field of the wrong type', async () => {
    const { app, problems } = checked(jsonAnswer(200, { id: '1', username: 'ana', email: 'a@b' }));
    await request(app).get('/api/auth/me').expect(200);
    expect(problems.join('\n')).toMatch(
      /GET \/api\/auth\/me → 200: body must have required property 'created_at'/,
    );
    expect(problems.join('\n')).toMatch(/body\/id must be integer/);
  });

  it('catches an undocumented status and an undocumented path', async () => {
    const teapot = checked(jsonAnswer(418, { message: 'short and stout', code: 'teapot' }));
    await request(teapot.app).get('/api/auth/me').expect(418);
    expect(teapot.problems).toEqual([expect.stringMatching(/status 418 not documented/)]);
    const unknown = checked(jsonAnswer(200, {}));
    await request(unknown.app).get('/api/unknown').expect(200);
    expect(unknown.problems).toEqual([expect.stringMatching(/path not in the OpenAPI document/)]);
  });

  it('reads a compressed JSON body', async () => {
    const { gzipSync } = await import('node:zlib');
    const { app, problems } = checked((res) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Content-Encoding', 'gzip');
      res.end(gzipSync(JSON.stringify({ id: 1 })));
    });
    await request(app).get('/api/auth/me').expect(200);
    expect(problems.join('\n')).toMatch(/required property 'username'/);
  });
});
