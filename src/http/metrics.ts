import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import type { StoreCall } from '../ports';

/** How often each worker writes its figures for the others to read, and when they count as gone. */
const PUBLISH_INTERVAL_MS = 2_000;
const STALE_AFTER_MS = 5 * PUBLISH_INTERVAL_MS;
const WORKER_FILE = /^worker-(\d+)\.json$/;

type RequestLabels = Record<'method' | 'route' | 'status', string>;

interface StoreTotals {
  store: string;
  operation: string;
  calls: number;
  errors: number;
  seconds: number;
}

export interface MetricsOptions {
  /**
   * A folder the workers of one site share (inside DATA_DIR): each writes its figures there every
   * 2 s, and /metrics adds up every live worker's, so a scrape sees the whole site whichever PM2
   * worker answers it. Without it, /metrics shows this process only.
   */
  shareDir?: string;
}

/**
 * The site's Prometheus metrics (prom-client): requests and latency by route, method and status;
 * store calls, errors, time and capacity units by store and operation; the image queue; and
 * prom-client's process metrics (event-loop lag, heap, CPU, handles).
 *
 * PM2 runs the workers in cluster mode with its own daemon as the cluster primary, so
 * prom-client's AggregatorRegistry (which asks the workers through the primary) cannot gather
 * them. Instead each worker publishes its registry as JSON into `shareDir` (write, then rename,
 * so a reader never sees half a file), and the worker that answers a scrape aggregates the live
 * ones with its own current figures, using the aggregation each metric declares (sums for
 * counters and histograms, averages for lags). A worker that stopped publishing drops out after
 * 10 s; Prometheus reads the drop of its counters as a reset.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  /** Requests are counted here by their labels, and handed to prom-client only when scraped. */
  private readonly requestTotals = new Map<string, { labels: RequestLabels; count: number }>();
  /** Store calls are counted here, cheaply, and handed to prom-client only when scraped. */
  private readonly storeTotals = new Map<string, StoreTotals>();
  private readonly unitTotals = new Map<string, { store: string; kind: 'read' | 'write'; units: number }>();
  private imageQueue: () => number = () => 0;
  private readonly shareDir: string | undefined;
  private readonly ownFile: string | undefined;
  private publisher: NodeJS.Timeout | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    // prom-client checks and hashes the labels on every update: so requests are counted in a
    // plain map (whose entry also keeps the labels object the histogram is given), and the
    // counter set from it at scrape time, as the store calls below are.
    const requestTotals = () => this.requestTotals.values();
    new Counter({
      name: 'lumina_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const { labels, count } of requestTotals()) this.inc(labels, count);
      },
    });
    this.latency = new Histogram({
      name: 'lumina_http_request_duration_seconds',
      help: 'Time from the request to the end of its answer, by route pattern, method and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    // A request makes several store calls: they too are summed in plain maps.
    const totals = () => this.storeTotals.values();
    const storeCounter = (name: string, help: string, value: (t: StoreTotals) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['store', 'operation'],
        registers,
        collect() {
          this.reset();
          for (const t of totals()) {
            if (value(t) > 0) this.inc({ store: t.store, operation: t.operation }, value(t));
          }
        },
      });
    storeCounter(
      'lumina_store_calls_total',
      'Backend calls (SQL statement, DynamoDB or S3 command, file operation), by store and operation.',
      (t) => t.calls,
    );
    storeCounter(
      'lumina_store_call_errors_total',
      'Backend calls that failed, by store and operation.',
      (t) => t.errors,
    );
    storeCounter(
      'lumina_store_call_seconds_total',
      'Time spent in backend calls, by store and operation (divide by the calls for the mean).',
      (t) => t.seconds,
    );
    const units = () => this.unitTotals.values();
    new Counter({
      name: 'lumina_store_capacity_units_total',
      help: 'Capacity units the backend reported consumed (DynamoDB), by store and kind (read, write).',
      labelNames: ['store', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const u of units()) this.inc({ store: u.store, kind: u.kind }, u.units);
      },
    });
    const imageQueue = () => this.imageQueue();
    new Gauge({
      name: 'lumina_image_queue_depth',
      help: 'Images being processed or waiting for their turn.',
      registers,
      collect() {
        this.set(imageQueue());
      },
    });
    collectDefaultMetrics({ register: this.registry });

    this.shareDir = options.shareDir;
    if (this.shareDir) {
      mkdirSync(this.shareDir, { recursive: true });
      this.ownFile = join(this.shareDir, `worker-${process.pid}.json`);
      this.publisher = setInterval(() => void this.publish(), PUBLISH_INTERVAL_MS);
      this.publisher.unref();
    }
  }

  /** The StoreCallListener for createStorage (ports.ts). */
  readonly onStoreCall = (call: StoreCall): void => {
    const key = `${call.store}\u0000${call.operation}`;
    let totals = this.storeTotals.get(key);
    if (!totals) {
      totals = { store: call.store, operation: call.operation, calls: 0, errors: 0, seconds: 0 };
      this.storeTotals.set(key, totals);
    }
    totals.calls++;
    if (!call.ok) totals.errors++;
    totals.seconds += call.ms / 1000;
    if (call.readUnits) this.addUnits(call.store, 'read', call.readUnits);
    if (call.writeUnits) this.addUnits(call.store, 'write', call.writeUnits);
  };

  private addUnits(store: string, kind: 'read' | 'write', units: number): void {
    const key = `${store}\u0000${kind}`;
    const totals = this.unitTotals.get(key);
    if (totals) totals.units += units;
    else this.unitTotals.set(key, { store, kind, units });
  }

  /** Where the image queue's depth comes from (the container's ImageProcessor). */
  watchImageQueue(depth: () => number): void {
    this.imageQueue = depth;
  }

  /** Counts a request whose answer is over (sent, or abandoned by the client) after `ms`. */
  record(req: IncomingMessage, res: ServerResponse, ms: number): void {
    const method = req.method ?? '';
    const route = routeOf(req, res);
    const key = `${method} ${res.statusCode} ${route}`;
    let totals = this.requestTotals.get(key);
    if (!totals) {
      totals = { labels: { method, route, status: String(res.statusCode) }, count: 0 };
      this.requestTotals.set(key, totals);
    }
    totals.count++;
    this.latency.observe(totals.labels, ms / 1000);
  }

  /** The exposition text for the whole site (every live worker), and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    const own = await this.registry.getMetricsAsJSON();
    const others = this.shareDir ? await this.othersFigures(this.shareDir) : [];
    const registry = others.length === 0 ? this.registry : AggregatorRegistry.aggregate([own, ...others]);
    return { contentType: this.registry.contentType, text: await registry.metrics() };
  }

  /** Stops publishing and withdraws this worker's figures. */
  async close(): Promise<void> {
    clearInterval(this.publisher);
    if (this.ownFile) await unlink(this.ownFile).catch(() => undefined);
  }

  private async publish(): Promise<void> {
    if (!this.ownFile) return;
    const temp = `${this.ownFile}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(await this.registry.getMetricsAsJSON()));
      await rename(temp, this.ownFile);
    } catch {
      // The next round tries again; a scrape meanwhile sees this worker's previous figures.
    }
  }

  private async othersFigures(dir: string): Promise<MetricObjectWithValues<MetricValue<string>>[][]> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const now = Date.now();
    const figures = await Promise.all(
      names.map(async (name) => {
        const pid = WORKER_FILE.exec(name)?.[1];
        if (pid === undefined || Number(pid) === process.pid) return undefined;
        const file = join(dir, name);
        try {
          if (now - (await stat(file)).mtimeMs > STALE_AFTER_MS) {
            await unlink(file).catch(() => undefined);
            return undefined;
          }
          return JSON.parse(await readFile(file, 'utf8')) as MetricObjectWithValues<MetricValue<string>>[];
        } catch {
          return undefined;
        }
      }),
    );
    return figures.filter((f) => f !== undefined);
  }
}

/**
 * The route pattern that answered (`/api/photos/:id`), never the raw URL, so the number of
 * series stays bounded: an Express route's path under its router's mount point, the label an
 * early route or the static files set, or `unmatched`.
 */
function routeOf(req: IncomingMessage, res: ServerResponse): string {
  if (req.routeLabel) return req.routeLabel;
  // Express sets these on node's request object as it routes it.
  const express = req as { route?: { path?: unknown }; baseUrl?: string; originalUrl?: string };
  const path = express.route?.path;
  if (typeof path === 'string') {
    // A route under /api keeps its mount point even when an error took the request back out.
    const base = express.baseUrl || (express.originalUrl?.startsWith('/api/') ? '/api' : '');
    return `${base}${path}`;
  }
  return res.statusCode === 404 ? 'unmatched' : 'other';
}

/**
 * GET /metrics: the exposition for `Authorization: Bearer <token>`, 401 for any other
 * credentials. Mounted only when a token is configured, so without one /metrics is 404.
 */
export function metricsRoute(metrics: Metrics, token: string): RequestHandler {
  const expected = digest(token);
  return async (req, res) => {
    const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).type('text/plain').send('A valid bearer token is required.\n');
      return;
    }
    const { contentType, text } = await metrics.exposition();
    res.set('Cache-Control', 'no-store').type(contentType).send(text);
  };
}

/** Equal-length digests, so the comparison takes the same time whatever the token given. */
const digest = (value: string) => createHash('sha256').update(value).digest();
