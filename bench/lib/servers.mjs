// The two servers: nginx (rendered from bench/nginx.conf.template) and Stowage (the built CLI),
// each started on a free loopback port in its own directory, polled until ready, and stopped
// with SIGTERM (SIGKILL to the process group after 5 s). Both offer the same operations to the
// rounds in run.mjs: putBig, getPath, remove, putSmallFile, smallPutLuaArgs, afterSmallPuts.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, request, streamMultipart, streamPut } from './clients.mjs';
import { fsCall } from './filesystem.mjs';
import { tusUpload } from './tus.mjs';
import { descendants } from './memory.mjs';
import {
  BENCH_DIR,
  HOST,
  envPair,
  ROOT,
  killGroup,
  log,
  round2,
  sleep,
  tail,
  track,
  untrack,
} from './util.mjs';

const NGINX_TEMPLATE = path.join(BENCH_DIR, 'nginx.conf.template');

export function freePort() {
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
    track(this.proc);
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
    untrack(this.proc);
    const seconds = round2((performance.now() - t0) / 1000);
    if (wasRunning && !graceful) log(`${this.name} ignored SIGTERM for 5 s; killed`);
    return wasRunning ? { seconds, graceful, exit: this.exit, leftovers } : null;
  }
}

export class Nginx extends Server {
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
  /** `offset`: the body starts there in the file and wraps around (see streamPut). */
  async putBig(file, size, seq, offset = 0) {
    const urlPath = `/big-${seq}.bin`;
    const res = await streamPut(this.port, urlPath, file, size, {}, offset);
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

/**
 * BENCH_STOWAGE_ENV="NAME=VALUE NAME=VALUE": extra environment of every Stowage server the bench
 * starts, and of nothing else (nginx, wrk and the bench's own clients keep theirs), e.g.
 * BENCH_STOWAGE_ENV=LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 to compare allocators.
 */
function stowageEnvFromBench() {
  const pairs = (process.env.BENCH_STOWAGE_ENV ?? '').split(/\s+/).filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => envPair(pair, 'BENCH_STOWAGE_ENV')));
}

export class Stowage extends Server {
  /** cli: the built entry point (dist/src/main/cli.js); workers: STOWAGE_WORKERS. */
  static async start(dir, { cli, workers, env: extraEnv = {} }) {
    fs.mkdirSync(dir, { recursive: true });
    const s = new Stowage('stowage', dir, await freePort());
    const dataDir = path.join(dir, 'data');
    s.launch(
      process.execPath,
      [cli, 'serve', '--host', HOST, '--port', String(s.port), '--data-dir', dataDir],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          STOWAGE_LOG_LEVEL: 'silent',
          STOWAGE_MAX_FILE_SIZE: '2GiB',
          STOWAGE_WORKERS: String(workers),
          STOWAGE_ALLOW_ANONYMOUS_UPLOADS: 'true',
          // The hotlink rule stays on (checked on every GET) but is not tripped: the small-GET
          // rows download one file from 64 addresses and never view it, which the default
          // (10 downloads, 3x the views) rightly refuses.
          STOWAGE_HOTLINK_MIN_DOWNLOADS: '1000',
          // The bench uploads thousands of files from one address and the soak from one account:
          // no per-address budget, and account limits far away (so their checks still run).
          STOWAGE_ANON_DAILY_UPLOADS: '0',
          STOWAGE_ANON_DAILY_UPLOAD_BYTES: '0',
          STOWAGE_USER_STORAGE_QUOTA: '1000000GB',
          STOWAGE_USER_DAILY_UPLOAD: '1000000GB',
          STOWAGE_USER_MAX_FILES: '1000000000',
          ...stowageEnvFromBench(),
          ...extraEnv,
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
  async putBig(file, size, _seq, offset = 0) {
    const urlPath = '/api/file/big.bin';
    const res = await streamPut(this.port, urlPath, file, size, {}, offset);
    return { seconds: res.seconds, status: res.status, handle: this.parseUpload(res, urlPath) };
  }
  /** The same file as a multipart/form-data POST /api/file (`curl -F file=@big.bin`). */
  async postMultipart(file, size) {
    const urlPath = '/api/file';
    const res = await streamMultipart(this.port, urlPath, file, size);
    return { seconds: res.seconds, status: res.status, handle: this.parseUpload(res, urlPath) };
  }
  getPath(handle) {
    return `/api/file/${encodeURIComponent(handle.id)}`;
  }
  /** The same file through tus (tus-js-client; chunkSize undefined: one PATCH). */
  async putTusBig(file, size, chunkSize) {
    const res = await tusUpload(this.port, file, size, chunkSize);
    return { seconds: res.seconds, status: 204, handle: res.handle };
  }
  /** PUT /api/filesystem/me/big.bin with an account's key (see fsAccount). */
  async putFsBig(file, size, auth) {
    const urlPath = '/api/filesystem/me/big.bin';
    const res = await streamPut(this.port, urlPath, file, size, { Authorization: auth });
    if (res.status !== 200) throw new Error(`PUT ${urlPath}: ${describe(res)}`);
    return { seconds: res.seconds, status: res.status, handle: { fsPath: urlPath, auth } };
  }
  async remove(handle) {
    if (handle.fsPath) {
      const res = await fsCall(false, this.port, 'DELETE', handle.fsPath, { auth: handle.auth });
      if (res.status !== 200) throw new Error(`DELETE ${handle.fsPath}: ${describe(res)}`);
      return;
    }
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
