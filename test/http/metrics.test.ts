import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, storeCallListener, type App } from '../../src/app';
import { Metrics } from '../../src/http/metrics';
import { makeTestApp, signedInAgent, type TestApp } from '../support/app';
import { sample } from '../support/metrics';

const TOKEN = 'metrics-token-for-tests-0123456789';

describe('/metrics without METRICS_TOKEN', () => {
  it('is not served at all: 404, whatever the credentials', async () => {
    const t = await makeTestApp();
    try {
      await request(t.app).get('/metrics').expect(404);
      await request(t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    } finally {
      await t.close();
    }
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  let app: App;
  beforeAll(async () => {
    const metrics = new Metrics();
    t = await makeTestApp({ METRICS_TOKEN: TOKEN }, { onStoreCall: storeCallListener(metrics) });
    app = createApp(t.container, { metrics });
  });
  afterAll(() => t.close());

  it('answers 401 without a token, with another scheme and with a wrong token, and says nothing', async () => {
    for (const authorization of [undefined, `Basic ${TOKEN}`, 'Bearer wrong-token', `Bearer ${TOKEN}x`]) {
      const call = request(app).get('/metrics');
      const res = await (authorization ? call.set('Authorization', authorization) : call).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.text).not.toContain('lumina_');
    }
  });

  it('answers the Prometheus text to its bearer, with every metric the operators need', async () => {
    const res = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers['cache-control']).toBe('no-store');
    for (const name of [
      'lumina_http_requests_total',
      'lumina_http_request_duration_seconds',
      'lumina_store_calls_total',
      'lumina_store_call_errors_total',
      'lumina_store_call_seconds_total',
      'lumina_image_queue_depth',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
  });

  it('counts requests by route pattern and status, the early route and Express routes alike, and store calls', async () => {
    const { agent } = await signedInAgent(app);
    for (let i = 0; i < 3; i++) await agent.get('/api/messages?user_id=abc').expect(400);
    await agent.get('/api/photos/01ARZ3NDEKTSV4RRFFQ69G5FAV').expect(404);
    await agent.get('/api/photos/01ARZ3NDEKTSV4RRFFQ69G5FAW').expect(404);
    await request(app).get('/no/such/page').expect(404);
    const text = (await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200))
      .text;
    const requests = (route: string, status: string) =>
      sample(text, 'lumina_http_requests_total', { method: 'GET', route, status });
    expect(requests('/api/messages', '400')).toBe(3);
    expect(requests('/api/photos/:id', '404')).toBe(2);
    expect(requests('unmatched', '404')).toBe(1);
    expect(
      sample(text, 'lumina_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/auth/signup',
        status: '201',
      }),
    ).toBe(1);
    const storeCalls = text
      .split('\n')
      .filter((line) => line.startsWith('lumina_store_calls_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(storeCalls).toBeGreaterThan(3);
  });

  it('labels the poll alike when it is the first Express route (the design the bench compares)', async () => {
    const metrics = new Metrics();
    const expressPoll = createApp(t.container, { metrics, earlyRoutesInExpress: true });
    const { agent } = await signedInAgent(expressPoll);
    for (let i = 0; i < 2; i++) await agent.get('/api/messages?user_id=abc').expect(400);
    await agent.get('/api/messages?user_id=999999').expect(404);
    const text = (
      await request(expressPoll).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)
    ).text;
    const requests = (route: string, status: string) =>
      sample(text, 'lumina_http_requests_total', { method: 'GET', route, status });
    expect(requests('/api/messages', '400')).toBe(2);
    expect(requests('/api/messages', '404')).toBe(1);
    expect(text).not.toContain('route="/api/api/');
  });
});
