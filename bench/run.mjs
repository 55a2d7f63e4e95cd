#!/usr/bin/env node
// Stowage vs nginx on loopback: big PUT/GET throughput, small-file GET/PUT rates, peak RSS.
// Both servers are measured in the same run, in interleaved rounds (A B, then B A, ...), and
// the table quotes medians of per-round ratios. See bench/README.md and spec/performance.md.
//
// Environment: BENCH_ROUNDS (default 3), BENCH_QUICK=1 (256 MiB, 1 round), BENCH_WRK_SECONDS
// (default 10), BENCH_WRK_WARMUP_SECONDS (default 2), STOWAGE_WORKERS (default 2),
// BENCH_SERVERS (default "nginx,stowage"), BENCH_STOWAGE_CLI (default dist/src/main/cli.js).

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const TMP = path.join(BENCH_DIR, 'tmp');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const NGINX_TEMPLATE = path.join(BENCH_DIR, 'nginx.conf.template');
const PUT_LUA = path.join(BENCH_DIR, 'put.lua');

const KiB = 1024;
const MiB = 1024 * KiB;
const HOST = '127.0.0.1';
/** Client read/write chunk for the big transfers (spec: 64 KiB chunks are ~3x slower here). */
const CHUNK = MiB;
const SMALL = 4 * KiB;
const CONNECTIONS = 64;
const WRK_THREADS = 2;
const RSS_INTERVAL_MS = 50;
const BIG_TIMEOUT_MS = 300_000;

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const ROUNDS = intEnv('BENCH_ROUNDS', QUICK ? 1 : 3, 1);
const BIG = QUICK ? 256 * MiB : 1024 * MiB;
const BIG_LABEL = QUICK ? '256 MiB' : '1 GiB';
const WRK_SECONDS = intEnv('BENCH_WRK_SECONDS', 10, 1);
const WRK_WARMUP_SECONDS = intEnv('BENCH_WRK_WARMUP_SECONDS', 2, 0);
const WORKERS = intEnv('STOWAGE_WORKERS', 2, 1);
const STOWAGE_CLI = path.resolve(ROOT, env.BENCH_STOWAGE_CLI || 'dist/src/main/cli.js');
const SERVERS = (env.BENCH_SERVERS || 'nginx,stowage')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const METRICS = [
  { key: 'putBig', label: `PUT ${BIG_LABEL} (MB/s)`, field: 'mbps', target: 0.9 },
  { key: 'getBig', label: `GET ${BIG_LABEL} (MB/s)`, field: 'mbps', target: 0.9 },
  { key: 'getSmall', label: `GET 4 KiB, ${CONNECTIONS} conn (req/s)`, field: 'okRps', target: 0.3 },
  { key: 'putSmall', label: `PUT 4 KiB, ${CONNECTIONS} conn (req/s)`, field: 'okRps', target: 1.0 },
];
const RSS_LIMIT_MIB = 150;

// ---------------------------------------------------------------------------------------------
// small utilities

function intEnv(name, def, min) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench: ${name} must be an integer >= ${min}, got "${raw}"`);
    process.exit(1);
  }
  return n;
}

function log(msg) {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function findExecutable(name) {
  const dirs = (env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const d of [...dirs, '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout || ''}\n${r.stderr || ''}`.trim();
  return text.split('\n')[0]?.trim() || 'unknown';
}

function tail(file, bytes = 2000) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

function syncDisks() {
  spawnSync('sync');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A small request with an in-memory body; resolves with status, headers and the body. */
function request(port, method, urlPath, body = null, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (body) {
      headers['Content-Length'] = body.length;
      headers['Content-Type'] = 'application/octet-stream';
    }
    const req = http.request({ host: HOST, port, method, path: urlPath, headers, agent: false });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.end(body || undefined);
  });
}

function describe(res) {
  return `HTTP ${res.status} ${res.body.toString('utf8', 0, Math.min(res.body.length, 300))}`;
}

// ---------------------------------------------------------------------------------------------
// the input file

function inputFile() {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, `input-${BIG / MiB}MiB.bin`);
  let size = -1;
  try {
    size = fs.statSync(file).size;
  } catch {
    // missing
  }
  if (size === BIG) return file;
  log(`creating ${path.relative(ROOT, file)} (${BIG_LABEL} of random data, cached for reuse)`);
  const part = `${file}.part`;
  const fd = fs.openSync(part, 'w');
  const buf = Buffer.allocUnsafe(8 * MiB);
  for (let done = 0; done < BIG; done += buf.length) {
    crypto.randomFillSync(buf);
    fs.writeSync(fd, buf, 0, Math.min(buf.length, BIG - done));
  }
  fs.closeSync(fd);
  fs.renameSync(part, file);
  return file;
}

/** Read the whole file so it comes from the page cache (the VM evicts idle pages in ~30 s). */
function reread(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * MiB);
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// clients

/** Stream a file from disk as a PUT body; the clock stops when the response has arrived. */
function streamPut(port, urlPath, file, size) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    };
    const t0 = performance.now();
    const req = http.request({
      host: HOST,
      port,
      method: 'PUT',
      path: urlPath,
      agent: false,
      headers: { 'Content-Length': size, 'Content-Type': 'application/octet-stream' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      settle(new Error(`PUT ${urlPath}: no response after ${BIG_TIMEOUT_MS / 1000} s`));
    }, BIG_TIMEOUT_MS);
    req.on('error', (err) => settle(new Error(`PUT ${urlPath}: ${err.message}`)));
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (err) => settle(err));
      res.on('end', () => {
        const seconds = (performance.now() - t0) / 1000;
        settle(null, { status: res.statusCode, body: Buffer.concat(chunks), seconds });
      });
    });
    const rs = fs.createReadStream(file, { highWaterMark: CHUNK });
    rs.on('error', (err) => {
      req.destroy(err);
      settle(err);
    });
    rs.pipe(req);
  });
}

/** Counts the payload bytes of a chunked body. */
function chunkedCounter() {
  let state = 'size';
  let line = '';
  let remaining = 0;
  const dec = {
    done: false,
    feed(buf, start, end) {
      let count = 0;
      let i = start;
      while (i < end && !dec.done) {
        if (state === 'data') {
          const take = Math.min(remaining, end - i);
          count += take;
          i += take;
          remaining -= take;
          if (remaining === 0) state = 'crlf';
          continue;
        }
        const c = buf[i++];
        if (state === 'crlf') {
          if (c === 0x0a) state = 'size';
        } else if (c !== 0x0a) {
          line += String.fromCharCode(c);
        } else if (state === 'size') {
          const n = parseInt(line.split(';')[0].trim(), 16);
          line = '';
          if (!Number.isFinite(n)) throw new Error('bad chunk size');
          if (n === 0) state = 'trailer';
          else {
            remaining = n;
            state = 'data';
          }
        } else {
          // trailer section ends with an empty line
          if (line.trim() === '') dec.done = true;
          line = '';
        }
      }
      return count;
    },
  };
  return dec;
}

/**
 * GET with a raw socket that reads in CHUNK-sized pieces into one reused buffer (curl and
 * Node's default 64 KiB reads cannot keep up with nginx's sendfile on this machine).
 */
function rawGet(port, urlPath, timeoutMs = BIG_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let header = Buffer.alloc(0);
    let inBody = false;
    let status = 0;
    let length = -1;
    let chunked = null;
    let bytes = 0;
    let reads = 0;
    let done = false;
    const t0 = performance.now();
    const finish = (err) => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - t0) / 1000;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(new Error(`GET ${urlPath}: ${err.message}`));
      else resolve({ status, bytes, seconds, reads, chunked: Boolean(chunked) });
    };
    const onBody = (buf, start, end) => {
      if (chunked) {
        bytes += chunked.feed(buf, start, end);
        if (chunked.done) finish();
      } else {
        bytes += end - start;
        if (length >= 0 && bytes >= length) finish();
      }
    };
    const onread = (n, buf) => {
      reads++;
      try {
        if (inBody) return onBody(buf, 0, n);
        header = Buffer.concat([header, buf.subarray(0, n)]);
        const idx = header.indexOf('\r\n\r\n');
        if (idx < 0) {
          if (header.length > 64 * KiB) finish(new Error('response header too large'));
          return;
        }
        const lines = header.toString('latin1', 0, idx).split('\r\n');
        status = Number(lines[0].split(' ')[1]);
        for (const l of lines.slice(1)) {
          const c = l.indexOf(':');
          const name = l.slice(0, c).trim().toLowerCase();
          const value = l.slice(c + 1).trim();
          if (name === 'content-length') length = Number(value);
          if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = chunkedCounter();
        }
        inBody = true;
        if (length === 0 && !chunked) return finish();
        onBody(header, idx + 4, header.length);
      } catch (err) {
        finish(err);
      }
    };
    const sock = net.connect({ host: HOST, port, onread: { buffer, callback: onread } });
    const timer = setTimeout(() => finish(new Error(`timeout after ${bytes} bytes`)), timeoutMs);
    sock.on('connect', () => {
      sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n`);
    });
    sock.on('error', finish);
    sock.on('end', () => {
      if (!inBody) finish(new Error('connection closed before the response header'));
      else if (length < 0 && !chunked) finish();
      else finish(new Error(`connection closed after ${bytes} body bytes`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// resident memory of a process tree

function descendants(rootPid) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const queue = [rootPid];
  while (queue.length) {
    const kids = children.get(queue.shift()) || [];
    out.push(...kids);
    queue.push(...kids);
  }
  return out;
}

/** VmRSS and RssAnon of one process in KiB, or null when it is gone. */
function statusKiB(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /VmRSS:\s+(\d+)\s+kB/.exec(text);
    const anon = /RssAnon:\s+(\d+)\s+kB/.exec(text);
    return { rss: rss ? Number(rss[1]) : 0, anon: anon ? Number(anon[1]) : 0 };
  } catch {
    return null;
  }
}

/** Proportional set size in KiB (shared pages split between the processes mapping them). */
function pssKiB(pid) {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Sum of VmRSS over a process and its descendants, sampled every RSS_INTERVAL_MS. Also tracks
 * the summed RssAnon and, every PSS_EVERY samples (smaps_rollup costs ~0.6 ms per process), the
 * summed PSS: forked Node workers each map the same node binary, which VmRSS counts every time.
 */
const PSS_EVERY = 10;
class RssSampler {
  constructor(pid) {
    this.root = pid;
    this.pids = [pid];
    this.peakKiB = 0;
    this.peakAnonKiB = 0;
    this.peakPssKiB = 0;
    this.samples = 0;
    this.timer = null;
  }
  refresh() {
    this.pids = [this.root, ...descendants(this.root)];
  }
  sample(forcePss = false) {
    if (this.samples % 20 === 0) this.refresh();
    const withPss = forcePss || this.samples % PSS_EVERY === 0;
    this.samples++;
    let sum = 0;
    let anon = 0;
    let pss = 0;
    let missing = false;
    for (const pid of this.pids) {
      const st = statusKiB(pid);
      if (st === null) {
        missing = true;
        continue;
      }
      sum += st.rss;
      anon += st.anon;
      if (withPss) pss += pssKiB(pid);
    }
    if (missing) this.refresh();
    this.peakKiB = Math.max(this.peakKiB, sum);
    this.peakAnonKiB = Math.max(this.peakAnonKiB, anon);
    this.peakPssKiB = Math.max(this.peakPssKiB, pss);
    return sum;
  }
  start() {
    this.refresh();
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_INTERVAL_MS);
    return this;
  }
  stop() {
    clearInterval(this.timer);
    this.sample(true);
    return {
      peakMiB: round1(this.peakKiB / 1024),
      peakAnonMiB: round1(this.peakAnonKiB / 1024),
      peakPssMiB: round1(this.peakPssKiB / 1024),
      samples: this.samples,
      processes: this.pids.length,
    };
  }
}

function treeRss(pid) {
  const s = new RssSampler(pid);
  s.refresh();
  const { peakMiB, peakAnonMiB, peakPssMiB } = s.stop();
  return { rssMiB: peakMiB, anonMiB: peakAnonMiB, pssMiB: peakPssMiB };
}

const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;

// ---------------------------------------------------------------------------------------------
// servers

const live = new Set();
let runDir = null;

function killGroup(proc, signal) {
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}

function cleanupSync() {
  for (const p of live) {
    if (p.detached) killGroup(p, 'SIGKILL');
    else {
      try {
        p.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
  if (runDir) {
    fs.rmSync(runDir, { recursive: true, force: true });
    runDir = null;
  }
}

class Server {
  constructor(name, dir, port) {
    this.name = name;
    this.dir = dir;
    this.port = port;
    this.proc = null;
    this.exit = null;
    this.stopping = false;
    this.ready = false;
    this.logFile = path.join(dir, 'server.log');
  }
  launch(cmd, args, opts) {
    const out = fs.openSync(this.logFile, 'a');
    this.proc = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.proc.detached = true;
    live.add(this.proc);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        if (this.ready && !this.stopping) {
          log(`${this.name} exited unexpectedly (code ${code}, signal ${signal})`);
          const t = tail(this.logFile);
          if (t) log(`${this.name} log tail:\n${t}`);
        }
        resolve();
      });
    });
    this.proc.on('error', (err) => {
      this.exit = { error: err.message };
    });
  }
  get pid() {
    return this.proc.pid;
  }
  async waitReady(urlPath, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no response';
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(
          `${this.name} exited during startup (${JSON.stringify(this.exit)}):\n${tail(this.logFile)}`,
        );
      }
      try {
        const res = await request(this.port, 'GET', urlPath, null, 1000);
        if (res.status === 200) {
          this.ready = true;
          return;
        }
        last = describe(res);
      } catch (err) {
        last = err.message;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs / 1000} s (${last})`);
  }
  /** SIGTERM to the leader, SIGKILL to its group after 5 s; returns how the shutdown went. */
  async stop() {
    if (!this.proc) return null;
    const wasRunning = !this.exit;
    this.stopping = true;
    const t0 = performance.now();
    if (wasRunning) {
      try {
        process.kill(this.proc.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([this.exited, sleep(5000)]);
    }
    const graceful = Boolean(this.exit);
    const leftovers = descendants(this.proc.pid).length;
    killGroup(this.proc, 'SIGKILL'); // leftovers (workers), and the leader if it ignored SIGTERM
    await Promise.race([this.exited, sleep(2000)]);
    live.delete(this.proc);
    const seconds = round2((performance.now() - t0) / 1000);
    if (wasRunning && !graceful) log(`${this.name} ignored SIGTERM for 5 s; killed`);
    return wasRunning ? { seconds, graceful, exit: this.exit, leftovers } : null;
  }
}

class Nginx extends Server {
  static async start(dir, nginxBin) {
    fs.mkdirSync(dir, { recursive: true });
    const s = new Nginx('nginx', dir, await freePort());
    for (const d of ['root', 'logs', 'client_body_temp']) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, 'root', 'health.txt'), 'ok\n');
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const conf = fs
      .readFileSync(NGINX_TEMPLATE, 'utf8')
      .replaceAll('{{USER_LINE}}', isRoot ? 'user root;' : '')
      .replaceAll('{{DIR}}', dir)
      .replaceAll('{{PORT}}', String(s.port));
    const confFile = path.join(dir, 'nginx.conf');
    fs.writeFileSync(confFile, conf);
    const errorLog = path.join(dir, 'logs', 'error.log');
    s.logFile = errorLog;
    s.launch(nginxBin, ['-p', `${dir}/`, '-c', confFile, '-e', errorLog], { cwd: dir });
    await s.waitReady('/health.txt');
    return s;
  }
  async putBig(file, size, seq) {
    const urlPath = `/big-${seq}.bin`;
    const res = await streamPut(this.port, urlPath, file, size);
    if (res.status !== 201 && res.status !== 204)
      throw new Error(`PUT ${urlPath}: ${describe(res)}`);
    return { seconds: res.seconds, status: res.status, handle: { path: urlPath } };
  }
  getPath(handle) {
    return handle.path;
  }
  async remove(handle) {
    const res = await request(this.port, 'DELETE', handle.path);
    if (res.status !== 204 && res.status !== 200) throw new Error(`DELETE: ${describe(res)}`);
  }
  async putSmallFile(body) {
    const urlPath = '/small.bin';
    const res = await request(this.port, 'PUT', urlPath, body);
    if (res.status !== 201 && res.status !== 204)
      throw new Error(`PUT ${urlPath}: ${describe(res)}`);
    return { path: urlPath };
  }
  smallPutLuaArgs() {
    return ['unique', '/up/'];
  }
  async afterSmallPuts() {
    // wrk stops mid-request: give nginx a moment to finish the PUTs still in flight
    await sleep(300);
    const up = path.join(this.dir, 'root', 'up');
    fs.rmSync(up, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

class Stowage extends Server {
  static async start(dir) {
    fs.mkdirSync(dir, { recursive: true });
    const s = new Stowage('stowage', dir, await freePort());
    const dataDir = path.join(dir, 'data');
    s.launch(
      process.execPath,
      [STOWAGE_CLI, 'serve', '--host', HOST, '--port', String(s.port), '--data-dir', dataDir],
      {
        cwd: ROOT,
        env: {
          ...env,
          STOWAGE_LOG_LEVEL: 'silent',
          STOWAGE_MAX_FILE_SIZE: '2GiB',
          STOWAGE_WORKERS: String(WORKERS),
          STOWAGE_ALLOW_ANONYMOUS_UPLOADS: 'true',
        },
      },
    );
    await s.waitReady('/api/health');
    return s;
  }
  parseUpload(res, urlPath) {
    if (res.status !== 201) throw new Error(`PUT ${urlPath}: ${describe(res)}`);
    let json;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new Error(`PUT ${urlPath}: response is not JSON: ${describe(res)}`);
    }
    if (!json.id || !json.deleteKey) {
      throw new Error(`PUT ${urlPath}: response lacks id or deleteKey: ${describe(res)}`);
    }
    return { id: json.id, deleteKey: json.deleteKey };
  }
  async putBig(file, size) {
    const urlPath = '/api/file/big.bin';
    const res = await streamPut(this.port, urlPath, file, size);
    return { seconds: res.seconds, status: res.status, handle: this.parseUpload(res, urlPath) };
  }
  getPath(handle) {
    return `/api/file/${encodeURIComponent(handle.id)}`;
  }
  async remove(handle) {
    const q = `?key=${encodeURIComponent(handle.deleteKey)}`;
    const res = await request(this.port, 'DELETE', `${this.getPath(handle)}${q}`);
    if (res.status !== 200) throw new Error(`DELETE ${this.getPath(handle)}: ${describe(res)}`);
  }
  async putSmallFile(body) {
    const urlPath = '/api/file/small.bin';
    return this.parseUpload(await request(this.port, 'PUT', urlPath, body), urlPath);
  }
  smallPutLuaArgs() {
    return ['fixed', '/api/file/small.bin'];
  }
  async afterSmallPuts() {
    // nothing: every round starts Stowage on a fresh data directory
  }
}

// ---------------------------------------------------------------------------------------------
// wrk

function toMs(value, unit) {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 'ms' ? v : unit === 's' ? v * 1000 : v * 60_000;
}

function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const rps = num(/Requests\/sec:\s+([\d.]+)/);
  const requests = num(/(\d+) requests in /);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/) ?? 0;
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = se
    ? { connect: +se[1], read: +se[2], write: +se[3], timeout: +se[4] }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const latencyMs = {};
  for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm)) {
    latencyMs[`p${m[1]}`] = round2(toMs(m[2], m[3]));
  }
  if (rps === null || requests === null) throw new Error(`cannot parse wrk output:\n${out}`);
  const okRps = requests > 0 ? (rps * (requests - non2xx)) / requests : 0;
  return { rps, okRps: Math.round(okRps), requests, non2xx, socketErrors, latencyMs };
}

async function runWrk(wrkBin, port, urlPath, seconds, luaArgs = null) {
  const url = `http://${HOST}:${port}${urlPath}`;
  const args = [`-t${WRK_THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  args.push('--timeout', '5s');
  if (luaArgs) args.push('-s', PUT_LUA, url, '--', ...luaArgs);
  else args.push(url);
  const proc = spawn(wrkBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const code = await new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', resolve);
  });
  live.delete(proc);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  return { ...parseWrk(out), command: `wrk ${args.join(' ')}`, output: out.trim() };
}

// ---------------------------------------------------------------------------------------------
// one round

async function measure(record, server, key, fn) {
  try {
    if (server.exit)
      throw new Error(`${server.name} is not running (${JSON.stringify(server.exit)})`);
    record[key] = await fn();
  } catch (err) {
    record[key] = { error: err.message };
    log(`${server.name} ${key}: ERROR ${err.message}`);
  }
}

async function runRound(r, ctx) {
  const order = r % 2 === 0 ? [...SERVERS] : [...SERVERS].reverse();
  log(`round ${r + 1}/${ROUNDS}: order ${order.join(' -> ')}`);
  const servers = {};
  const rec = { round: r + 1, order, servers: {} };
  try {
    for (const name of order) {
      const dir = path.join(runDir, `${name}-r${r + 1}`);
      servers[name] =
        name === 'nginx' ? await Nginx.start(dir, ctx.nginx) : await Stowage.start(dir);
      rec.servers[name] = {};
    }
    for (const name of order) {
      rec.servers[name].processes = 1 + descendants(servers[name].pid).length;
      rec.servers[name].idle = treeRss(servers[name].pid);
    }

    // 1. big PUT, input re-read right before each run, upload deleted right after
    for (const name of order) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'putBig', async () => {
        reread(ctx.input);
        syncDisks();
        const sampler = new RssSampler(s.pid).start();
        let res;
        try {
          res = await s.putBig(ctx.input, BIG, r + 1);
        } finally {
          rec.servers[name].putBigRss = sampler.stop();
        }
        await s.remove(res.handle);
        const mbps = Math.round(BIG / res.seconds / 1e6);
        log(`${name} PUT ${BIG_LABEL}: ${mbps} MB/s (${res.seconds.toFixed(2)} s)`);
        return { mbps, seconds: round2(res.seconds), status: res.status };
      });
    }

    // 2. big GET: upload, flush, measure, delete
    for (const name of order) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'getBig', async () => {
        reread(ctx.input);
        const up = await s.putBig(ctx.input, BIG, `get-${r + 1}`);
        syncDisks();
        const sampler = new RssSampler(s.pid).start();
        let res;
        try {
          res = await rawGet(s.port, s.getPath(up.handle));
        } finally {
          rec.servers[name].getBigRss = sampler.stop();
        }
        await s.remove(up.handle);
        if (res.status !== 200) throw new Error(`GET: HTTP ${res.status}`);
        if (res.bytes !== BIG) throw new Error(`GET: received ${res.bytes} bytes, expected ${BIG}`);
        const mbps = Math.round(BIG / res.seconds / 1e6);
        log(`${name} GET ${BIG_LABEL}: ${mbps} MB/s (${res.seconds.toFixed(2)} s)`);
        return {
          mbps,
          seconds: round2(res.seconds),
          reads: res.reads,
          avgReadKiB: Math.round(BIG / res.reads / KiB),
          chunked: res.chunked,
        };
      });
    }
    for (const name of order) {
      const x = rec.servers[name];
      for (const [k, f] of [
        ['peakRssMiB', 'peakMiB'],
        ['peakAnonMiB', 'peakAnonMiB'],
        ['peakPssMiB', 'peakPssMiB'],
      ]) {
        const peaks = [x.putBigRss?.[f], x.getBigRss?.[f]].filter((v) => v !== undefined);
        x[k] = peaks.length ? Math.max(...peaks) : null;
      }
    }

    // 3. 4 KiB GET with wrk
    for (const name of order) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'getSmall', async () => {
        const handle = await s.putSmallFile(ctx.small);
        const check = await request(s.port, 'GET', s.getPath(handle));
        if (check.status !== 200 || !check.body.equals(ctx.small)) {
          throw new Error(`GET ${s.getPath(handle)} returned wrong content: HTTP ${check.status}`);
        }
        if (WRK_WARMUP_SECONDS)
          await runWrk(ctx.wrk, s.port, s.getPath(handle), WRK_WARMUP_SECONDS);
        syncDisks();
        const w = await runWrk(ctx.wrk, s.port, s.getPath(handle), WRK_SECONDS);
        log(`${name} GET 4 KiB: ${w.okRps} req/s (non-2xx ${w.non2xx}, p99 ${w.latencyMs.p99} ms)`);
        return w;
      });
    }

    // 4. 4 KiB PUT with wrk + put.lua (distinct bodies; distinct paths for nginx)
    for (const name of order) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'putSmall', async () => {
        const args = [...s.smallPutLuaArgs(), String(SMALL)];
        if (WRK_WARMUP_SECONDS) await runWrk(ctx.wrk, s.port, '/', WRK_WARMUP_SECONDS, args);
        syncDisks();
        try {
          const w = await runWrk(ctx.wrk, s.port, '/', WRK_SECONDS, args);
          log(
            `${name} PUT 4 KiB: ${w.okRps} req/s (non-2xx ${w.non2xx}, p99 ${w.latencyMs.p99} ms)`,
          );
          return w;
        } finally {
          await s.afterSmallPuts().catch((err) => log(`${name} cleanup: ${err.message}`));
        }
      });
    }
  } finally {
    for (const name of order) {
      const s = servers[name];
      if (!s) continue;
      const unexpected = s.exit && !s.stopping;
      const stopped = await s.stop();
      if (rec.servers[name]) rec.servers[name].stop = stopped;
      if (unexpected && rec.servers[name]) {
        rec.servers[name].crashed = { ...s.exit, logTail: tail(s.logFile) };
      }
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }
  return rec;
}

// ---------------------------------------------------------------------------------------------
// summary and table

function summarize(rounds) {
  const summary = {};
  const both = SERVERS.includes('nginx') && SERVERS.includes('stowage');
  for (const m of METRICS) {
    const per = {};
    for (const name of SERVERS) {
      per[name] = median(rounds.map((r) => r.servers[name]?.[m.key]?.[m.field]));
    }
    const ratios = both
      ? rounds.map((r) => {
          const a = r.servers.stowage?.[m.key]?.[m.field];
          const b = r.servers.nginx?.[m.key]?.[m.field];
          return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
        })
      : [];
    const valid = ratios.filter((x) => x !== null);
    const ratio = median(valid);
    const s = { ...per, ratios: ratios.map((x) => (x === null ? null : round2(x))), ratio };
    s.ratioMin = valid.length ? Math.min(...valid) : null;
    s.ratioMax = valid.length ? Math.max(...valid) : null;
    s.target = m.target;
    s.met = ratio === null ? null : ratio >= m.target;
    if (m.key === 'getSmall' || m.key === 'putSmall') {
      for (const name of SERVERS) {
        const runs = rounds.map((r) => r.servers[name]?.[m.key]).filter((x) => x && !x.error);
        s[`${name}Non2xx`] = runs.reduce((a, x) => a + x.non2xx, 0);
        s[`${name}SocketErrors`] = runs.reduce(
          (a, x) => a + Object.values(x.socketErrors).reduce((p, q) => p + q, 0),
          0,
        );
        s[`${name}P50Ms`] = median(runs.map((x) => x.latencyMs.p50));
        s[`${name}P99Ms`] = median(runs.map((x) => x.latencyMs.p99));
      }
    }
    summary[m.key] = s;
  }
  const rss = {};
  for (const name of SERVERS) {
    const max = (k) => {
      const v = rounds.map((r) => r.servers[name]?.[k]).filter((x) => x != null);
      return v.length ? Math.max(...v) : null;
    };
    rss[name] = max('peakRssMiB');
    rss[`${name}Median`] = median(rounds.map((r) => r.servers[name]?.peakRssMiB));
    rss[`${name}Anon`] = max('peakAnonMiB');
    rss[`${name}Pss`] = max('peakPssMiB');
    rss[`${name}Idle`] = median(rounds.map((r) => r.servers[name]?.idle?.rssMiB));
    rss[`${name}IdlePss`] = median(rounds.map((r) => r.servers[name]?.idle?.pssMiB));
    rss[`${name}Processes`] = max('processes');
  }
  rss.limitMiB = RSS_LIMIT_MIB;
  rss.met = rss.stowage == null ? null : rss.stowage < RSS_LIMIT_MIB;
  summary.peakRss = rss;
  return summary;
}

function fmtNum(x, digits = 0) {
  if (x === null || x === undefined) return '–';
  return x.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function renderTable(summary) {
  const rows = [['metric', 'nginx', 'stowage', 'ratio (stowage/nginx)', 'target', 'met']];
  const cell = (s, name, key) => {
    if (!SERVERS.includes(name)) return 'not run';
    let text = fmtNum(s[name]);
    if (s[name] === null) text = 'ERROR';
    const bad = (s[`${name}Non2xx`] || 0) + (s[`${name}SocketErrors`] || 0);
    if ((key === 'getSmall' || key === 'putSmall') && bad) text += ` (${fmtNum(bad)} failed)`;
    return text;
  };
  for (const m of METRICS) {
    const s = summary[m.key];
    let ratio = s.ratio === null ? '–' : s.ratio.toFixed(2);
    if (s.ratio !== null && ROUNDS > 1) {
      ratio += ` [${s.ratioMin.toFixed(2)}–${s.ratioMax.toFixed(2)}]`;
    }
    const met = s.met === null ? '–' : s.met ? 'yes' : 'NO';
    rows.push([
      m.label,
      cell(s, 'nginx', m.key),
      cell(s, 'stowage', m.key),
      ratio,
      `>= ${m.target.toFixed(1)}`,
      met,
    ]);
  }
  const rss = summary.peakRss;
  const rssCell = (name) => (!SERVERS.includes(name) ? 'not run' : fmtNum(rss[name], 1));
  rows.push([
    `peak RSS, ${BIG_LABEL} PUT/GET (MiB)`,
    rssCell('nginx'),
    rssCell('stowage'),
    rss.stowage != null && rss.nginx ? `(${(rss.stowage / rss.nginx).toFixed(1)})` : '–',
    `< ${RSS_LIMIT_MIB} MiB`,
    rss.met === null ? '–' : rss.met ? 'yes' : 'NO',
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

function renderNotes(summary) {
  const notes = [];
  for (const key of ['getSmall', 'putSmall']) {
    const s = summary[key];
    const parts = SERVERS.map((name) => {
      const lat = `p50 ${fmtNum(s[`${name}P50Ms`], 2)} ms, p99 ${fmtNum(s[`${name}P99Ms`], 2)} ms`;
      return `${name} ${lat}, non-2xx ${s[`${name}Non2xx`]}, socket errors ${s[`${name}SocketErrors`]}`;
    });
    notes.push(`${key === 'getSmall' ? '4 KiB GET' : '4 KiB PUT'}: ${parts.join('; ')}`);
  }
  const rss = summary.peakRss;
  const mem = SERVERS.map(
    (n) =>
      `${n} (${rss[`${n}Processes`]} proc.) peak RSS sum ${fmtNum(rss[n], 1)} MiB ` +
      `(anon ${fmtNum(rss[`${n}Anon`], 1)}, PSS ${fmtNum(rss[`${n}Pss`], 1)}), ` +
      `idle RSS sum ${fmtNum(rss[`${n}Idle`], 1)} MiB (PSS ${fmtNum(rss[`${n}IdlePss`], 1)})`,
  );
  notes.push(`memory: ${mem.join('; ')}`);
  return notes.map((n) => `- ${n}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// main

function gitInfo() {
  const run = (args) => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const commit = run(['rev-parse', 'HEAD']);
  const status = run(['--no-optional-locks', 'status', '--porcelain', '--', 'src']);
  return { commit, srcDirty: status === null ? null : status.length > 0 };
}

async function main() {
  const unknown = SERVERS.filter((s) => s !== 'nginx' && s !== 'stowage');
  if (unknown.length || SERVERS.length === 0) {
    console.error(
      `bench: BENCH_SERVERS must list nginx and/or stowage, got "${env.BENCH_SERVERS}"`,
    );
    process.exit(1);
  }
  const nginx = findExecutable('nginx');
  const wrk = findExecutable('wrk');
  if (!nginx || !wrk) {
    const missing = [!nginx && 'nginx', !wrk && 'wrk'].filter(Boolean).join(' and ');
    console.error(
      `bench: ${missing} not found. Install with:\n\n    apt-get install -y nginx wrk\n`,
    );
    process.exit(1);
  }
  if (SERVERS.includes('stowage') && !fs.existsSync(STOWAGE_CLI)) {
    console.error(`bench: ${STOWAGE_CLI} not found; build first (npm run build, or npm run bench)`);
    process.exit(1);
  }

  const startedAt = new Date();
  const environment = {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu: os.cpus()[0]?.model || 'unknown',
    memGiB: round1(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    nginx: firstLine(nginx, ['-v']).replace(/^nginx version:\s*/, ''),
    wrk: firstLine(wrk, ['-v']).split(' ').slice(0, 2).join(' '),
    loadAvgAtStart: os.loadavg().map(round2),
    stowageWorkers: WORKERS,
    uvThreadpoolSize: env.UV_THREADPOOL_SIZE || null,
    stowageVersion: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    git: gitInfo(),
  };
  const config = {
    servers: SERVERS,
    rounds: ROUNDS,
    quick: QUICK,
    bigBytes: BIG,
    smallBytes: SMALL,
    wrkSeconds: WRK_SECONDS,
    wrkWarmupSeconds: WRK_WARMUP_SECONDS,
    wrkThreads: WRK_THREADS,
    connections: CONNECTIONS,
    clientChunkBytes: CHUNK,
    rssIntervalMs: RSS_INTERVAL_MS,
    stowageCli: path.relative(ROOT, STOWAGE_CLI),
  };
  log(
    `${environment.nproc} CPUs, node ${environment.node}, ${environment.nginx}, ` +
      `${ROUNDS} round(s), ${BIG_LABEL}, wrk ${WRK_SECONDS} s, stowage workers ${WORKERS}`,
  );

  if (environment.loadAvgAtStart[0] > 1) {
    log(`warning: load average ${environment.loadAvgAtStart[0]}; other work skews the numbers`);
  }
  const input = inputFile();
  fs.mkdirSync(TMP, { recursive: true });
  runDir = fs.mkdtempSync(path.join(TMP, 'run-'));
  const ctx = { nginx, wrk, input, small: crypto.randomBytes(SMALL) };

  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await runRound(r, ctx));
  const summary = summarize(rounds);
  const finishedAt = new Date();

  const machine =
    `machine: ${environment.nproc} CPUs (${environment.cpu}), ${environment.memGiB} GiB RAM, ` +
    `${environment.kernel}; node ${environment.node}; ${environment.nginx}; ` +
    `${environment.wrk}; stowage workers ${WORKERS}`;
  const setup =
    `run: ${ROUNDS} round(s) interleaved (order reversed every round), ${BIG_LABEL} transfers, ` +
    `wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${WRK_SECONDS}s; ratio = median of per-round ` +
    `ratios${ROUNDS > 1 ? ' [min–max]' : ''}`;
  console.log(`\n${machine}\n${setup}\n\n${renderTable(summary)}\n\n${renderNotes(summary)}`);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const outFile = path.join(RESULTS_DIR, `${stamp}.json`);
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    environment,
    config,
    summary,
    rounds,
  };
  fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nresults: ${path.relative(ROOT, outFile)}`);

  const errors = rounds.flatMap((r) =>
    Object.entries(r.servers).flatMap(([name, x]) =>
      Object.entries(x)
        .filter(([, v]) => v && typeof v === 'object' && (v.error || v.code !== undefined))
        .map(([k]) => `${name} ${k}`),
    ),
  );
  if (errors.length) {
    console.error(`bench: some measurements failed (${errors.join(', ')}); see the log above`);
    process.exitCode = 1;
  }
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping servers and removing temporary data`);
    cleanupSync();
    process.exit(130);
  });
}

main().catch((err) => {
  console.error(`bench: ${err.stack || err.message}`);
  cleanupSync();
  process.exit(1);
});
