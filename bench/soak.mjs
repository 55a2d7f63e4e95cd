#!/usr/bin/env node
// npm run soak -- [--seconds 60] [--clients 16] [--workers 1] [--stack embedded|scaleout]
//                 [--idle-seconds 60] [--max-size 64MiB]
//
// A bounded mixed load on a fresh Stowage (the built CLI, as `npm run bench` runs it): uploads of
// 1 B to 64 MiB (log-distributed sizes), full and ranged downloads with every byte checked
// against the uploaded content, deletes, lists; then the server's memory while it idles. Prints
// requests, errors by kind, p50/p99 latencies and the RSS of the server's processes (summed) at
// start, peak, end and after the idle period. Exits 1 on any error or wrong byte.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { descendants, RssSampler, treeRss } from './lib/memory.mjs';
import { call, Checker, contentChunks, contentSha256, HttpError } from './lib/soak-client.mjs';
import { Stowage } from './lib/servers.mjs';
import { startPgS3 } from './lib/stack.mjs';
import { cleanupSync, createRunDir, envPair, log, MiB, ROOT, sleep, TMP } from './lib/util.mjs';

// ---------------------------------------------------------------------------------------------
// arguments

function parseArgs(argv) {
  const opts = {
    seconds: 60,
    clients: 16,
    workers: 1,
    stack: 'embedded',
    idleSeconds: 60,
    maxSize: 64 * MiB,
    // The live files' bytes are kept under this (deletes win over uploads above it).
    poolBytes: 2048 * MiB,
    nodeOptions: '',
    // --env NAME=VALUE (repeatable): the server's environment only, not the clients' (e.g.
    // LD_PRELOAD of another malloc, MALLOC_* settings).
    env: {},
  };
  for (let i = 0; i < argv.length; i++) {
    // `--flag=value`: the value is everything after the first '=' (it may hold '=' itself).
    const eq = argv[i].indexOf('=');
    const flag = eq < 0 ? argv[i] : argv[i].slice(0, eq);
    const inline = eq < 0 ? undefined : argv[i].slice(eq + 1);
    const value = () => inline ?? argv[++i];
    const int = (name) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected an integer >= 0`);
      return n;
    };
    if (flag === '--seconds') opts.seconds = int(flag);
    else if (flag === '--clients') opts.clients = Math.max(1, int(flag));
    else if (flag === '--workers') opts.workers = Math.max(1, int(flag));
    else if (flag === '--idle-seconds') opts.idleSeconds = int(flag);
    else if (flag === '--max-size') opts.maxSize = parseSize(value());
    else if (flag === '--node-options') opts.nodeOptions = value();
    else if (flag === '--env') {
      const [name, v] = envPair(value() ?? '', '--env');
      opts.env[name] = v;
    } else if (flag === '--stack') {
      const v = value();
      if (v === 'embedded') opts.stack = 'embedded';
      else if (v === 'scaleout' || v === 'scale-out' || v === 'pg-s3') opts.stack = 'scaleout';
      else throw new Error(`--stack: expected embedded or scaleout, got ${v}`);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  return opts;
}

function parseSize(s) {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(s);
  if (!m) throw new Error(`--max-size: expected e.g. 64MiB, got ${s}`);
  const unit = { b: 1, kib: 1024, mib: MiB, gib: 1024 * MiB }[(m[2] ?? 'B').toLowerCase()];
  return Number(m[1]) * unit;
}

// ---------------------------------------------------------------------------------------------
// statistics

class Stats {
  constructor() {
    this.requests = 0;
    this.bytesUp = 0;
    this.bytesDown = 0;
    this.wrongBytes = 0;
    this.errors = new Map();
    this.latency = new Map();
    this.firstErrors = [];
  }
  ok(op, ms) {
    this.requests++;
    if (!this.latency.has(op)) this.latency.set(op, []);
    this.latency.get(op).push(ms);
  }
  error(op, kind, detail) {
    this.requests++;
    const k = `${op}: ${kind}`;
    this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
    if (this.firstErrors.length < 10) this.firstErrors.push(`${k}: ${detail}`);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------------------------------------
// the load

/** Files uploaded and not deleted; `busy` counts the operations using each (deletes wait). */
class Pool {
  constructor() {
    this.files = [];
    this.bytes = 0;
  }
  add(f) {
    this.files.push(f);
    this.bytes += f.size;
  }
  pick(rand, idleOnly = false) {
    const c = idleOnly ? this.files.filter((f) => f.busy === 0) : this.files;
    return c.length ? c[Math.floor(rand() * c.length)] : null;
  }
  remove(f) {
    const i = this.files.indexOf(f);
    if (i >= 0) this.files.splice(i, 1);
    this.bytes -= f.size;
  }
}

function logSize(rand, max) {
  // 1 B .. max, uniform in log(size): as many 1-10 B bodies as 1-10 MiB ones.
  return Math.max(1, Math.min(max, Math.floor(Math.exp(rand() * Math.log(max + 1)))));
}

async function client(n, ctx) {
  const { port, auth, stats, pool, deadline, opts } = ctx;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let s = n * 7919 + 1;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const timed = async (op, fn) => {
    const t0 = performance.now();
    try {
      await fn();
      stats.ok(op, performance.now() - t0);
    } catch (err) {
      if (err instanceof HttpError) stats.error(op, err.kind, err.message);
      else stats.error(op, 'client', err.stack || err.message);
    }
  };
  const expect = (res, status, what) => {
    if (res.status !== status)
      throw new HttpError(
        `HTTP ${res.status}`,
        `${what}: ${res.status} ${res.body.toString().slice(0, 200)}`,
      );
  };
  while (performance.now() < deadline) {
    const r = rand();
    const full = pool.bytes > opts.poolBytes;
    if (pool.files.length < 4 || (r < 0.3 && !full)) {
      // upload (5% of them the content of a live file again: the deduplication path)
      const again = rand() < 0.05 ? pool.pick(rand) : null;
      const seed = again ? again.seed : crypto.randomUUID();
      const size = again ? again.size : logSize(rand, opts.maxSize);
      await timed('upload', async () => {
        const sha = contentSha256(seed, size);
        const res = await call(agent, port, 'PUT', `/api/file/soak-${n}.bin`, {
          headers: { Authorization: auth, 'Content-Length': size },
          body: contentChunks(seed, 0, size),
        });
        expect(res, 201, 'upload');
        stats.bytesUp += size;
        const { id } = JSON.parse(res.body.toString());
        pool.add({ id, seed, size, sha, busy: 0 });
      });
    } else if (r < 0.55) {
      const f = pool.pick(rand);
      if (!f) continue;
      f.busy++;
      await timed('download', async () => {
        const check = new Checker(f.seed, 0, f.size);
        const res = await call(agent, port, 'GET', `/api/file/${f.id}`, {
          sink: (c) => check.push(c),
        });
        expect(res, 200, 'download');
        stats.bytesDown += res.bytes;
        if (check.errors) {
          stats.wrongBytes += check.errors;
          throw new HttpError(
            'wrong bytes',
            `download ${f.id}: ${check.errors} wrong of ${f.size}`,
          );
        }
      }).finally(() => f.busy--);
    } else if (r < 0.75) {
      const f = pool.pick(rand);
      if (!f) continue;
      const a = Math.floor(rand() * f.size);
      const b = Math.min(f.size - 1, a + Math.floor(rand() * Math.min(f.size - a, 8 * MiB)));
      f.busy++;
      await timed('range', async () => {
        const check = new Checker(f.seed, a, b - a + 1);
        const res = await call(agent, port, 'GET', `/api/file/${f.id}`, {
          headers: { Range: `bytes=${a}-${b}` },
          sink: (c) => check.push(c),
        });
        expect(res, 206, `range ${a}-${b} of ${f.size}`);
        if (res.headers['content-range'] !== `bytes ${a}-${b}/${f.size}`)
          throw new HttpError(
            'bad Content-Range',
            `${res.headers['content-range']} for ${a}-${b}/${f.size}`,
          );
        stats.bytesDown += res.bytes;
        if (check.errors) {
          stats.wrongBytes += check.errors;
          throw new HttpError('wrong bytes', `range ${a}-${b} of ${f.id}: ${check.errors} wrong`);
        }
      }).finally(() => f.busy--);
    } else if (r < 0.88 || full) {
      const f = pool.pick(rand, true);
      if (!f) continue;
      pool.remove(f);
      await timed('delete', async () => {
        const res = await call(agent, port, 'DELETE', `/api/file/${f.id}`, {
          headers: { Authorization: auth },
        });
        expect(res, 200, 'delete');
        const gone = await call(agent, port, 'GET', `/api/file/${f.id}/info`);
        // Another node's cache may keep it a second; this is one process tree: gone at once.
        expect(gone, 404, 'info after delete');
      });
    } else {
      const files = Array.from({ length: 1 + Math.floor(rand() * 5) }, () =>
        pool.pick(rand),
      ).filter(Boolean);
      await timed('list', async () => {
        const res = await call(agent, port, 'POST', '/api/list', {
          headers: { Authorization: auth, 'Content-Type': 'application/json' },
          body: Buffer.from(
            JSON.stringify({ title: `soak ${n}`, files: files.map((f) => ({ id: f.id })) }),
          ),
        });
        // A file deleted meanwhile by another client fails the list: that is not an error.
        if (res.status === 404 || (res.status >= 400 && /not_found/.test(res.body))) return;
        expect(res, 201, 'list');
        const { id } = JSON.parse(res.body.toString());
        const got = await call(agent, port, 'GET', `/api/list/${id}`);
        expect(got, 200, 'list get');
      });
      await timed('user files', async () => {
        const res = await call(agent, port, 'GET', '/api/user/files', {
          headers: { Authorization: auth },
        });
        expect(res, 200, 'user files');
      });
    }
  }
  agent.destroy();
}

// ---------------------------------------------------------------------------------------------

async function register(port) {
  const agent = new http.Agent();
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const creds = Buffer.from('username=soak&password=soak-password-1');
  let res = await call(agent, port, 'POST', '/api/user/register', { headers: form, body: creds });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${res.body}`);
  res = await call(agent, port, 'POST', '/api/user/login', { headers: form, body: creds });
  if (res.status !== 201) throw new Error(`login: ${res.status} ${res.body}`);
  agent.destroy();
  const key = JSON.parse(res.body.toString()).auth_key;
  return 'Basic ' + Buffer.from(`:${key}`).toString('base64');
}

/** Each process's own VmRSS in MiB (the server first, then its workers). */
function perProcess(pid) {
  return [pid, ...descendants(pid)].map((p) => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'latin1'));
      return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
    } catch {
      return null;
    }
  });
}

function memoryLine(label, m) {
  return `${label.padEnd(22)} ${String(m.rssMiB).padStart(7)} MiB RSS (anon ${m.anonMiB}, PSS ${m.pssMiB})`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cli = path.resolve(ROOT, process.env.BENCH_STOWAGE_CLI || 'dist/src/main/cli.js');
  if (!fs.existsSync(cli))
    throw new Error(`${cli} is missing: npm run build first (npm run soak does)`);
  const runDir = createRunDir();
  const stack = opts.stack === 'scaleout' ? await startPgS3() : null;
  let server;
  try {
    const env = { ...(stack ? await stack.envForNewServer() : {}) };
    if (opts.nodeOptions) env.NODE_OPTIONS = opts.nodeOptions;
    Object.assign(env, opts.env);
    server = await Stowage.start(path.join(runDir, 'stowage'), { cli, workers: opts.workers, env });
    const port = server.port;
    const auth = await register(port);
    await sleep(2000);
    const start = treeRss(server.pid);
    log(
      `soak: ${opts.seconds} s, ${opts.clients} clients, ${opts.workers} worker(s), ${opts.stack} stack, ` +
        `uploads 1 B..${opts.maxSize / MiB} MiB; server RSS at start ${start.rssMiB} MiB`,
    );
    const sampler = new RssSampler(server.pid).start();
    const stats = new Stats();
    const ctx = {
      port,
      auth,
      stats,
      pool: new Pool(),
      deadline: performance.now() + opts.seconds * 1000,
      opts,
    };
    const t0 = performance.now();
    const progress = setInterval(() => {
      log(
        `… ${stats.requests} requests, ${stats.errors.size ? [...stats.errors.values()].reduce((a, b) => a + b) : 0} errors, RSS ${treeRss(server.pid).rssMiB} MiB`,
      );
    }, 15_000);
    await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i, ctx)));
    clearInterval(progress);
    const elapsed = (performance.now() - t0) / 1000;
    const peak = sampler.stop();
    const end = treeRss(server.pid);
    log(`load done in ${elapsed.toFixed(1)} s; idling ${opts.idleSeconds} s`);
    const idleSamples = [];
    for (let t = 10; t <= opts.idleSeconds; t += 10) {
      await sleep(10_000);
      idleSamples.push([t, treeRss(server.pid).rssMiB]);
    }
    const idle = treeRss(server.pid);
    const idleEach = perProcess(server.pid);
    const all = [...stats.latency.values()].flat().sort((a, b) => a - b);
    const lines = [
      '',
      `soak: ${opts.seconds} s, ${opts.clients} clients, ${opts.workers} worker(s), ${opts.stack} stack`,
      `requests: ${stats.requests} (${(stats.requests / elapsed).toFixed(1)}/s); ` +
        `uploaded ${(stats.bytesUp / MiB).toFixed(0)} MiB, downloaded ${(stats.bytesDown / MiB).toFixed(0)} MiB, ` +
        `wrong bytes ${stats.wrongBytes}`,
      `errors: ${stats.errors.size === 0 ? 'none' : [...stats.errors].map(([k, v]) => `${k} ×${v}`).join('; ')}`,
      `latency (ms): all p50 ${percentile(all, 50)?.toFixed(1)} p99 ${percentile(all, 99)?.toFixed(1)}`,
      ...[...stats.latency].map(([op, xs]) => {
        xs.sort((a, b) => a - b);
        return `  ${op.padEnd(11)} n=${String(xs.length).padEnd(6)} p50 ${percentile(xs, 50).toFixed(1)} p99 ${percentile(xs, 99).toFixed(1)}`;
      }),
      'server memory (summed over its processes):',
      memoryLine('  start', start),
      `  peak                   ${String(peak.peakMiB).padStart(7)} MiB RSS (largest process ${peak.peakProcessMiB})`,
      memoryLine('  end of load', end),
      memoryLine(`  +${opts.idleSeconds} s idle`, idle),
      `  +${opts.idleSeconds} s idle, each process: ${idleEach.join(', ')} MiB` +
        (opts.workers > 1 ? ' (the supervising primary first)' : ''),
      `  idle RSS every 10 s: ${idleSamples.map(([t, v]) => `${t}s ${v}`).join(', ')}`,
    ];
    if (stats.firstErrors.length)
      lines.push('first errors:', ...stats.firstErrors.map((e) => `  ${e}`));
    console.log(lines.join('\n'));
    fs.mkdirSync(TMP, { recursive: true });
    const out = path.join(TMP, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      out,
      JSON.stringify(
        {
          opts,
          requests: stats.requests,
          errors: Object.fromEntries(stats.errors),
          wrongBytes: stats.wrongBytes,
          p50: percentile(all, 50),
          p99: percentile(all, 99),
          rss: { start, peak, end, idle, idleEach, idleSamples },
        },
        null,
        2,
      ),
    );
    console.log(`results: ${path.relative(ROOT, out)}`);
    if (stats.errors.size > 0 || stats.wrongBytes > 0) process.exitCode = 1;
  } finally {
    await server?.stop();
    await stack?.stop();
    cleanupSync();
  }
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping the server and removing temporary data`);
    cleanupSync();
    process.exit(130);
  });
}

main().catch((err) => {
  console.error(`soak: ${err.stack || err.message}`);
  cleanupSync();
  process.exit(1);
});
