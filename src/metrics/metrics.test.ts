import { EventEmitter } from 'node:events';
import { PassThrough, pipeline, Readable, Writable } from 'node:stream';
import type { Worker } from 'node:cluster';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../core/errors.js';
import type { BlobStore } from '../core/blob-store.js';
import { MemoryBlobStore } from '../storage/memory-blob-store.js';
import { FileService } from '../core/files.js';
import type { FileRepository } from '../core/records.js';
import { bearerMatches } from '../http/metrics/route.js';
import { parsePrometheusText } from '../../test/prom-text.js';
import { ReportingBlobStore } from './blob-store.js';
import { ClusterMetricsPrimary, ClusterMetricsWorker, type ClusterLike } from './cluster.js';
import { Metrics } from './registry.js';
import { observe } from './http-stats.js';
import { MetricsTelemetry } from './telemetry.js';

const parsed = async (m: Metrics) => parsePrometheusText(await m.text());

describe('MetricsTelemetry', () => {
  it('maps each event and gauge to its series', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const t = new MetricsTelemetry(m);
    t.event('upload', { dialect: 'filebin' });
    t.event('upload', { dialect: 'filebin' });
    t.event('delete', { dialect: 'chevereto' });
    t.event('blob_store_error', { op: 'put' });
    t.event('captcha_challenge');
    t.event('captcha_solved');
    t.event('captcha_failed');
    t.event('captcha_failed');
    t.event('hotlink_refused');
    t.event('ip_limit_refused', { limit: 'transfer' });
    t.event('virus_scan', { status: 'infected' });
    t.event('virus_scan', { status: 'unavailable' });
    t.event('virus_scan', { status: '<script>' });
    t.event('malware_refused', { value: 'virus_detected_captcha_required' });
    t.gauge('active_uploads', 1);
    t.gauge('websocket_subscribers', 3);
    t.gauge('websocket_subscribers', -1);
    const x = await parsed(m);
    expect(x.get('stowage_uploads_total', { dialect: 'filebin' })).toBe(2);
    expect(x.get('stowage_uploads_total', { dialect: 'pixeldrain' })).toBe(0);
    expect(x.get('stowage_deletes_total', { dialect: 'chevereto' })).toBe(1);
    expect(x.get('stowage_blob_store_errors_total', { op: 'put' })).toBe(1);
    expect(x.get('stowage_captcha_challenges_total')).toBe(1);
    expect(x.get('stowage_captcha_solutions_total', { result: 'solved' })).toBe(1);
    expect(x.get('stowage_captcha_solutions_total', { result: 'failed' })).toBe(2);
    expect(x.get('stowage_hotlink_refusals_total')).toBe(1);
    expect(x.get('stowage_ip_limit_refusals_total', { limit: 'transfer' })).toBe(1);
    expect(x.get('stowage_virus_scans_total', { status: 'infected' })).toBe(1);
    expect(x.get('stowage_virus_scans_total', { status: 'unavailable' })).toBe(1);
    expect(x.get('stowage_virus_scans_total', { status: 'other' })).toBe(1);
    expect(
      x.get('stowage_malware_refusals_total', { value: 'virus_detected_captcha_required' }),
    ).toBe(1);
    expect(x.get('stowage_active_uploads')).toBe(1);
    expect(x.get('stowage_websocket_subscribers')).toBe(2);
    expect(x.get('stowage_metrics_processes')).toBe(1);
  });

  it('keeps label values bounded: unknown ones become "other"', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const t = new MetricsTelemetry(m);
    t.event('upload', { dialect: '/api/file/abc' });
    t.event('upload');
    t.event('ip_limit_refused', { limit: 'x'.repeat(100) });
    t.event('blob_store_error', { op: 'GET /evil"\n' });
    const x = await parsed(m);
    expect(x.get('stowage_uploads_total', { dialect: 'other' })).toBe(2);
    expect(x.get('stowage_ip_limit_refusals_total', { limit: 'other' })).toBe(1);
    expect(x.get('stowage_blob_store_errors_total', { op: 'other' })).toBe(1);
  });

  it('the default process metrics include the event-loop lag', async () => {
    const x = await parsed(new Metrics());
    expect(x.families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(x.families.get('process_cpu_seconds_total')?.type).toBe('counter');
  });
});

/** A store whose every operation fails as a broken disk or bucket would. */
function brokenStore(): BlobStore {
  const boom = () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' }));
  return {
    open: () => Promise.resolve(),
    put: boom,
    get: boom,
    read: boom,
    stat: boom,
    owns: () => true,
    delete: boom,
    list: () => Readable.from([]),
    pendingUploads: boom,
    close: () => Promise.resolve(),
  };
}

describe('ReportingBlobStore', () => {
  it('counts the store’s failures by operation, not a client’s (too large, aborted)', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const t = new MetricsTelemetry(m);
    const broken = new ReportingBlobStore(brokenStore(), t);
    await expect(broken.read('x')).rejects.toThrow('EIO');
    await expect(broken.delete('x')).rejects.toThrow('EIO');
    await expect(broken.delete('y')).rejects.toThrow('EIO');
    await expect(broken.put(Readable.from([Buffer.from('a')]), { maxBytes: 10 })).rejects.toThrow(
      'EIO',
    );
    const mem = new ReportingBlobStore(new MemoryBlobStore(), t);
    await expect(
      mem.put(Readable.from([Buffer.alloc(100)]), { maxBytes: 10 }),
    ).rejects.toBeInstanceOf(CoreError);
    const x = await parsed(m);
    expect(x.get('stowage_blob_store_errors_total', { op: 'read' })).toBe(1);
    expect(x.get('stowage_blob_store_errors_total', { op: 'delete' })).toBe(2);
    expect(x.get('stowage_blob_store_errors_total', { op: 'put' })).toBe(1);
    expect(x.sum('stowage_blob_store_errors_total')).toBe(4);
    expect(x.get('stowage_active_uploads')).toBe(0);
  });

  it('active uploads (FileService staging): up while a body is received, down once staged or refused', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const telemetry = new MetricsTelemetry(m);
    const store = new ReportingBlobStore(new MemoryBlobStore(), telemetry);
    const files = new FileService({} as FileRepository, store, {
      maxFileSize: 1000,
      allowAnonymousUploads: true,
      inlineMaxBytes: 0,
      telemetry,
    });
    const body = new PassThrough();
    const staging = files.stage(body);
    expect((await parsed(m)).get('stowage_active_uploads')).toBe(1);
    body.end(Buffer.from('hello'));
    const staged = await staging;
    expect(staged.blob.size).toBe(5);
    expect((await parsed(m)).get('stowage_active_uploads')).toBe(0);
    const location = await staged.blob.commit();
    expect((await store.read(location)).toString()).toBe('hello');
    await expect(files.stage(Readable.from([Buffer.alloc(2000)]))).rejects.toBeInstanceOf(
      CoreError,
    );
    expect((await parsed(m)).get('stowage_active_uploads')).toBe(0);
    // Other writers of the store (derived images) are not uploads.
    await store.put(Readable.from([Buffer.from('thumb')]), { maxBytes: 100 });
    expect((await parsed(m)).get('stowage_active_uploads')).toBe(0);
  });

  it('a stream failing midway counts as a get error; optional methods follow the inner store', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const failing = new PassThrough();
    const inner = { ...brokenStore(), get: () => Promise.resolve(failing as Readable) };
    const store = new ReportingBlobStore(inner, new MetricsTelemetry(m));
    expect(store.openReader).toBeUndefined();
    expect(store.signedUrl).toBeUndefined();
    const s = await store.get('x');
    const seen = new Promise((r) => s.on('error', r));
    failing.destroy(new Error('ECONNRESET from the bucket'));
    await seen;
    expect((await parsed(m)).get('stowage_blob_store_errors_total', { op: 'get' })).toBe(1);
  });

  it('a reader going away is not a get error (its pipeline closes the stream early)', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const source = new PassThrough();
    const inner = { ...brokenStore(), get: () => Promise.resolve(source as Readable) };
    const store = new ReportingBlobStore(inner, new MetricsTelemetry(m));
    const s = await store.get('x');
    source.write(Buffer.alloc(1000));
    const client = new Writable({ write: (_c, _e, done) => setTimeout(done, 5) });
    const ended = new Promise((r) => pipeline(s, client, r));
    setTimeout(() => client.destroy(), 10);
    expect(await ended).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect((await parsed(m)).sum('stowage_blob_store_errors_total')).toBe(0);
  });
});

describe('bearerMatches', () => {
  it('requires the exact token after "Bearer"', () => {
    const token = 'abcdefghijklmnop';
    expect(bearerMatches(undefined, null)).toBe(true);
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer  ${token}`, token)).toBe(true);
    expect(bearerMatches(undefined, token)).toBe(false);
    expect(bearerMatches(token, token)).toBe(false);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches(`Bearer ${token} extra`, token)).toBe(false);
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false);
  });
});

/** An in-process stand-in for the cluster: workers are EventEmitters wired both ways. */
class FakeCluster extends EventEmitter implements ClusterLike {
  workers: NodeJS.Dict<Worker> = {};
  add(id: number, answer: boolean): { metrics: Metrics; client: ClusterMetricsWorker } {
    const metrics = new Metrics({ defaultMetrics: false });
    const proc = new EventEmitter() as EventEmitter & {
      connected: boolean;
      send: (m: unknown, ...rest: unknown[]) => boolean;
    };
    proc.connected = true;
    const worker = {
      id,
      isConnected: () => true,
      send: (msg: unknown) => {
        if (answer) setImmediate(() => proc.emit('message', msg));
        return true;
      },
    } as unknown as Worker;
    proc.send = (msg: unknown) => {
      setImmediate(() => this.emit('message', worker, msg));
      return true;
    };
    this.workers[id] = worker;
    const client = new ClusterMetricsWorker(metrics, proc as unknown as NodeJS.Process);
    return { metrics, client };
  }
}

describe('cluster aggregation', () => {
  it('the primary sums its workers; a worker forwards a scrape; a silent worker is left out', async () => {
    const cluster = new FakeCluster();
    const primary = new ClusterMetricsPrimary(cluster, 200);
    const { metrics: a, client } = cluster.add(1, true);
    const { metrics: b } = cluster.add(2, true);
    const { metrics: silent } = cluster.add(3, false);
    await new Promise((r) => setImmediate(r)); // the ready messages
    a.uploads.labels('pixeldrain').inc(2);
    b.uploads.labels('pixeldrain').inc(3);
    silent.uploads.labels('pixeldrain').inc(100);
    a.activeUploads.inc(1);
    b.activeUploads.inc(1);
    const x = parsePrometheusText(await primary.collect());
    expect(x.get('stowage_uploads_total', { dialect: 'pixeldrain' })).toBe(5);
    expect(x.get('stowage_active_uploads')).toBe(2);
    expect(x.get('stowage_metrics_processes')).toBe(2);
    // Asked on the main port, worker 1 gets the same sums from the primary.
    const y = parsePrometheusText(await client.scrape());
    expect(y.get('stowage_uploads_total', { dialect: 'pixeldrain' })).toBe(5);
  });
});

describe('HTTP statistics', () => {
  it('print as a valid cumulative histogram (a value on a bound counts in that bucket) and counters', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const d = m.http.dialect('pixeldrain');
    observe(d, 0.0005);
    observe(d, 0.003);
    observe(d, 1000);
    d.received += 10;
    d.sent += 20;
    m.http.request('/api/file/:id', 'GET', 'pixeldrain', 200).n += 3;
    const x = await parsed(m);
    const b = (le: string) =>
      x.get('stowage_http_request_duration_seconds_bucket', { dialect: 'pixeldrain', le });
    expect(b('0.0005')).toBe(1);
    expect(b('0.0025')).toBe(1);
    expect(b('0.005')).toBe(2);
    expect(b('300')).toBe(2);
    expect(b('+Inf')).toBe(3);
    expect(x.get('stowage_http_request_duration_seconds_count', { dialect: 'pixeldrain' })).toBe(3);
    expect(x.get('stowage_http_received_bytes_total', { dialect: 'pixeldrain' })).toBe(10);
    expect(x.get('stowage_http_sent_bytes_total', { dialect: 'pixeldrain' })).toBe(20);
    const labels = { route: '/api/file/:id', method: 'GET', dialect: 'pixeldrain', status: '200' };
    expect(x.get('stowage_http_requests_total', labels)).toBe(3);
    // A second scrape reads the same totals (the counters are refilled, not added to).
    expect((await parsed(m)).get('stowage_http_requests_total', labels)).toBe(3);
  });
});
