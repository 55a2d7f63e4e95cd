#!/usr/bin/env node
// Stowage vs nginx on loopback: big PUT/GET throughput, small-file GET/PUT rates, peak RSS.
// Both servers are measured in the same run, in interleaved rounds (A B, then B A, ...), and
// the table quotes medians of per-round ratios. See bench/README.md and spec/performance.md.
//
// Environment: BENCH_ROUNDS (default 3), BENCH_QUICK=1 (256 MiB, 1 round), BENCH_WRK_SECONDS
// (default 10), BENCH_WRK_WARMUP_SECONDS (default 2), STOWAGE_WORKERS (default 2),
// BENCH_SERVERS (default "nginx,stowage"), BENCH_STOWAGE_CLI (default dist/src/main/cli.js),
// BENCH_THUMBS (default 1; 0 skips the thumbnail scenario), BENCH_THUMBS_ONLY=1 (only that one,
// no nginx or wrk needed), BENCH_WEB (default 1; 0 skips the web UI scenario), BENCH_WEB_ONLY=1
// (only that one), BENCH_WEB_UPLOAD_GIB (default 2, 0 skips the browser upload; needs chromium),
// BENCH_ONLY=getSmall,getSmallMulti (only those rows; no thumbnails or web UI scenario),
// BENCH_CONCURRENT_MIB (size of each of the 8 concurrent transfers, default 256, 64 with quick),
// BENCH_IDLE_CONNECTIONS (default 1000), BENCH_FLOOR=0 (no node:http floors),
// BENCH_FLOOR_BIG_MODES (default "durable"; see bench/lib/durable-floor.mjs), BENCH_STOWAGE_ENV="NAME=VALUE ..." (extra environment of
// the Stowage servers only, e.g. LD_PRELOAD of another malloc).
//
// This file holds the settings and the rounds; the parts live in bench/lib/: servers.mjs
// (starting and stopping nginx and Stowage), clients.mjs (big PUT/GET clients, wrk),
// memory.mjs (RSS/PSS sampling), report.mjs (summary, table, JSON), thumbs.mjs (thumbnails of a
// 12 MP JPEG, Stowage alone), util.mjs (shared helpers).

import { stackArg, stackLabel, startPgS3 } from './lib/stack.mjs';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  CHUNK,
  CONNECTIONS,
  WRK_THREADS,
  fileBody,
  inputFile,
  rawGet,
  rawGetRedirected,
  redirectTarget,
  request,
  reread,
  runWrk,
} from './lib/clients.mjs';
import { runMultiClient } from './lib/multi-client.mjs';
import { getConcurrent, putConcurrent } from './lib/concurrent.mjs';
import { getWithIdleConnections } from './lib/idle.mjs';
import { ceilingRound } from './lib/ceiling.mjs';
import {
  PROXY_FLOOR_MODES,
  renderProxyFloor,
  startProxyFloor,
  summarizeProxyFloor,
} from './lib/proxy-floor.mjs';
import { measureDurablePut, measureFloor } from './lib/floor.mjs';
import { measureFastifyFloor } from './lib/fastify-floor.mjs';
import { FLOOR_BIG_MODES, startDurableFloor } from './lib/durable-floor.mjs';
import {
  GET_FLOOR_MODES,
  renderConcurrentGetFloor,
  renderGetFloor,
  startConcurrentGetFloor,
  startGetFloor,
  summarizeConcurrentGetFloor,
  summarizeGetFloor,
} from './lib/get-floor.mjs';
import { RSS_INTERVAL_MS, RssSampler, combinedPeaks, descendants, treeRss } from './lib/memory.mjs';
import {
  collectEnvironment,
  failedMeasurements,
  renderCeiling,
  renderDurableConcurrentFloor,
  renderDurableFloor,
  renderDurableSmallFloor,
  renderFastifyFloor,
  renderNotes,
  renderTable,
  summarize,
  summarizeCeiling,
  summarizeDurableConcurrentFloor,
  summarizeDurableFloor,
  summarizeDurableSmallFloor,
  summarizeFastifyFloor,
  writeResults,
} from './lib/report.mjs';
import { Nginx, Stowage } from './lib/servers.mjs';
import { fsAccount, measureFilesystem, renderFilesystem } from './lib/filesystem.mjs';
import { measureThumbnails, renderThumbnails } from './lib/thumbs.mjs';
import { measureBrowserUpload, measureWebPages, renderWeb } from './lib/web.mjs';
import {
  HOST,
  KiB,
  MiB,
  ROOT,
  cleanupSync,
  createRunDir,
  findExecutable,
  log,
  round2,
  syncDisks,
  tail,
} from './lib/util.mjs';

const SMALL = 4 * KiB;

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const ROUNDS = intEnv('BENCH_ROUNDS', QUICK ? 1 : 3, 1);
const BIG = QUICK ? 256 * MiB : 1024 * MiB;
const BIG_LABEL = QUICK ? '256 MiB' : '1 GiB';
const WRK_SECONDS = intEnv('BENCH_WRK_SECONDS', 10, 1);
const WRK_WARMUP_SECONDS = intEnv('BENCH_WRK_WARMUP_SECONDS', 2, 0);
const WORKERS = intEnv('STOWAGE_WORKERS', 2, 1);
const STOWAGE_CLI = path.resolve(ROOT, env.BENCH_STOWAGE_CLI || 'dist/src/main/cli.js');
const THUMBS = env.BENCH_THUMBS !== '0';
const THUMBS_ONLY = env.BENCH_THUMBS_ONLY === '1';
const WEB = env.BENCH_WEB !== '0';
const WEB_ONLY = env.BENCH_WEB_ONLY === '1';
const WEB_UPLOAD_GIB = intEnv('BENCH_WEB_UPLOAD_GIB', 2, 0);
const FS = env.BENCH_FS !== '0';
const FS_ONLY = env.BENCH_FS_ONLY === '1';
const FS_FILE_BYTES = intEnv('BENCH_FS_FILE_BYTES', 20 * KiB, 1);
const FS_STAT_REPEATS = intEnv('BENCH_FS_STAT_REPEATS', 20, 1);
const FS_DELETE_ROUNDS = intEnv('BENCH_FS_DELETE_ROUNDS', 3, 1);
/** The concurrency rows: CONC_N transfers of CONC_BYTES at once. */
const CONC_N = 8;
const CONC_BYTES = intEnv('BENCH_CONCURRENT_MIB', QUICK ? 64 : 256, 1) * MiB;
const CONC_LABEL = `${CONC_N} x ${CONC_BYTES / MiB} MiB`;
/**
 * BENCH_FLOOR=0 skips the node:http floors: the 4 KiB one (after the rounds, when both 4 KiB rows
 * ran), the durable 1 GiB PUT (in every round with the PUT row, after both servers') and the
 * durable concurrent PUTs (in every round with that row, after both servers'), the two durable
 * 4 KiB PUT floors (in every round with that row, on the embedded stack: in a table of their
 * own and in Stowage's tables), the read floors of the 1 GiB GET and of the concurrent GETs
 * (bench/lib/get-floor.mjs, in every round with their rows, not on pg-s3); and the Fastify floor
 * of the 4 KiB GET (bench/lib/fastify-floor.mjs, in every round with that row, after both
 * servers').
 */
const FLOOR = env.BENCH_FLOOR !== '0';
/** The durable floor's modes, run in this order (reversed every other round); see its file. */
const FLOOR_BIG = (env.BENCH_FLOOR_BIG_MODES || 'durable')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const mode of FLOOR_BIG) {
  if (!FLOOR_BIG_MODES.includes(mode)) {
    throw new Error(`BENCH_FLOOR_BIG_MODES: unknown mode ${mode} (${FLOOR_BIG_MODES.join(', ')})`);
  }
}
/** Idle keep-alive connections held open during the getSmallIdle row. */
const IDLE_CONNECTIONS = intEnv('BENCH_IDLE_CONNECTIONS', 1000, 1);
/** Connections per source address (Stowage caps them at 128 per address by default). */
const IDLE_PER_ADDRESS = 100;
// --stack pg-s3: Stowage on PostgreSQL + s3rver + Redis instead of SQLite + local disk; --stack
// pg: PostgreSQL + Redis, blobs on local disk.
const STACK = stackArg(process.argv.slice(2));
const SERVERS = (env.BENCH_SERVERS || 'nginx,stowage')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

// Targets: issue 18 (PUT 1 GiB >= 0.9, GET 1 GiB >= 1.0, GET 4 KiB >= 0.75, PUT 4 KiB >= 1.2 of
// nginx); the variants of a row (multipart, concurrent, other addresses, idle connections) share
// its target.
const ALL_METRICS = [
  { key: 'putBig', label: `PUT ${BIG_LABEL} (MB/s)`, field: 'mbps', target: 0.9 },
  // curl -F file=@big.bin: POST /api/file, multipart/form-data (issue 18); compared with nginx's
  // PUT and, for information, with PUT /api/file of the round.
  {
    key: 'putMultipart',
    label: `POST ${BIG_LABEL} multipart /api/file (MB/s)`,
    field: 'mbps',
    target: 0.9,
    nginxKey: 'putBig',
    versus: { key: 'putBig', label: 'PUT /api/file', target: null },
  },
  // The filesystem's PUT: compared with nginx's PUT of the round, and with Stowage's own
  // PUT /api/file of the round (issue 16: within 5%).
  {
    key: 'putFsBig',
    label: `PUT ${BIG_LABEL} /api/filesystem/me/big.bin (MB/s)`,
    field: 'mbps',
    target: 0.9,
    nginxKey: 'putBig',
    versus: { key: 'putBig', label: 'PUT /api/file', target: 0.95 },
  },
  // tus (issue 17) with tus-js-client: its default chunking (one PATCH) and 64 MiB chunks, each
  // compared with PUT /api/file of the round (within 10%).
  {
    key: 'putTusBig',
    label: `tus ${BIG_LABEL}, one PATCH (MB/s)`,
    field: 'mbps',
    target: 0.9,
    nginxKey: 'putBig',
    versus: { key: 'putBig', label: 'PUT /api/file', target: 0.9 },
  },
  {
    key: 'putTusChunked',
    label: `tus ${BIG_LABEL}, 64 MiB chunks (MB/s)`,
    field: 'mbps',
    target: 0.9,
    nginxKey: 'putBig',
    versus: { key: 'putBig', label: 'PUT /api/file', target: 0.9 },
  },
  { key: 'getBig', label: `GET ${BIG_LABEL} (MB/s)`, field: 'mbps', target: 1.0 },
  {
    key: 'putConcurrent',
    label: `PUT ${CONC_LABEL} at once (aggregate MB/s)`,
    field: 'mbps',
    target: 0.9,
  },
  {
    key: 'getConcurrent',
    label: `GET ${CONC_LABEL} at once (aggregate MB/s)`,
    field: 'mbps',
    target: 1.0,
  },
  {
    key: 'getSmall',
    label: `GET 4 KiB, ${CONNECTIONS} conn (req/s)`,
    field: 'okRps',
    target: 0.75,
  },
  {
    key: 'getSmallMulti',
    label: `GET 4 KiB, ${CONNECTIONS} conn from ${CONNECTIONS} addresses (req/s)`,
    field: 'okRps',
    target: 0.75,
  },
  {
    key: 'getSmallIdle',
    label: `GET 4 KiB, ${CONNECTIONS} conn, ${IDLE_CONNECTIONS.toLocaleString('en-US')} idle conn (req/s)`,
    field: 'okRps',
    target: 0.75,
  },
  { key: 'putSmall', label: `PUT 4 KiB, ${CONNECTIONS} conn (req/s)`, field: 'okRps', target: 1.2 },
];
// BENCH_ONLY: a comma-separated list of row keys (putBig, putMultipart, putFsBig, putTusBig,
// putTusChunked, getBig, putConcurrent, getConcurrent, getSmall, getSmallMulti, getSmallIdle,
// putSmall) and `ceiling` (the direct S3 and PostgreSQL figures of `--stack pg-s3`);
// putMultipart, putFsBig and the tus rows bring putBig along (their ratio is to PUT /api/file),
// ceiling brings putBig and getBig (Stowage's ratios to it).
const ONLY = (env.BENCH_ONLY || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const VERSUS_PUT = ['putMultipart', 'putFsBig', 'putTusBig', 'putTusChunked', 'ceiling'];
const METRICS = ONLY.length
  ? ALL_METRICS.filter(
      (m) =>
        ONLY.includes(m.key) ||
        (m.key === 'putBig' && VERSUS_PUT.some((k) => ONLY.includes(k))) ||
        (m.key === 'getBig' && ONLY.includes('ceiling')),
    )
  : ALL_METRICS;
const runs = (key) => METRICS.some((m) => m.key === key);
/** The scale-out ceiling: on `--stack pg-s3`, by default or when BENCH_ONLY names it. */
const CEILING = STACK === 'pg-s3' && (!ONLY.length || ONLY.includes('ceiling'));
/** Stowage's 1 GiB PUT and GET on `--stack pg-s3` against the direct S3 ceiling (issue 18). */
const CEILING_TARGET = 0.8;
/** Target for the peak RSS of the largest single Stowage process. */
const RSS_LIMIT_MIB = 150;
const VIEW = {
  servers: SERVERS,
  metrics: METRICS,
  bigLabel: BIG_LABEL,
  rssLimitMiB: RSS_LIMIT_MIB,
};

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
    // 0. the scale-out stack's ceiling: S3 and PostgreSQL alone, before the servers start
    if (CEILING) {
      reread(ctx.input);
      syncDisks();
      rec.ceiling = await ceilingRound(ctx.stack, {
        file: ctx.input,
        size: BIG,
        label: BIG_LABEL,
        seconds: WRK_SECONDS,
        concurrency: CONNECTIONS,
        smallBytes: SMALL,
      });
    }
    const stowageEnv = {};
    for (const name of order) {
      const dir = path.join(ctx.runDir, `${name}-r${r + 1}`);
      if (name !== 'nginx') stowageEnv[name] = ctx.stack ? await ctx.stack.envForNewServer() : {};
      servers[name] =
        name === 'nginx'
          ? await Nginx.start(dir, ctx.nginx)
          : await Stowage.start(dir, { cli: STOWAGE_CLI, workers: WORKERS, env: stowageEnv[name] });
      rec.servers[name] = {};
    }
    for (const name of order) {
      rec.servers[name].processes = 1 + descendants(servers[name].pid).length;
      rec.servers[name].idle = treeRss(servers[name].pid);
    }
    // The filesystem's PUT needs an account (made through the API, untimed).
    if (runs('putFsBig') && servers.stowage)
      servers.stowage.auth = await fsAccount(servers.stowage.port);

    // 1. big PUT, input re-read right before each run, upload deleted right after. Stowage's
    // two PUTs (/api/file, /api/filesystem) alternate their order between rounds too.
    const bigPuts = (name) => {
      const keys = ['putBig', 'putMultipart', 'putFsBig', 'putTusBig', 'putTusChunked'].filter(
        (k) => runs(k) && (name === 'stowage' || k === 'putBig'),
      );
      return r % 2 === 0 ? keys : keys.reverse();
    };
    for (const name of order) {
      const s = servers[name];
      for (const key of bigPuts(name)) {
        await measure(rec.servers[name], s, key, async () => {
          reread(ctx.input);
          syncDisks();
          const sampler = new RssSampler(s.pid).start();
          let res;
          try {
            res =
              key === 'putBig'
                ? await s.putBig(ctx.input, BIG, r + 1)
                : key === 'putMultipart'
                  ? await s.postMultipart(ctx.input, BIG)
                  : key === 'putFsBig'
                    ? await s.putFsBig(ctx.input, BIG, s.auth)
                    : await s.putTusBig(
                        ctx.input,
                        BIG,
                        key === 'putTusChunked' ? 64 * MiB : undefined,
                      );
          } finally {
            rec.servers[name][`${key}Rss`] = sampler.stop();
          }
          await s.remove(res.handle);
          const mbps = Math.round(BIG / res.seconds / 1e6);
          const what = {
            putBig: '',
            putMultipart: ' multipart POST',
            putFsBig: ' /api/filesystem',
            putTusBig: ' tus',
            putTusChunked: ' tus 64 MiB chunks',
          }[key];
          log(`${name} PUT ${BIG_LABEL}${what}: ${mbps} MB/s (${res.seconds.toFixed(2)} s)`);
          return { mbps, seconds: round2(res.seconds), status: res.status };
        });
      }
    }

    // 1b. the durable floor (bench/lib/durable-floor.mjs): the same PUT to a bare node:http
    // process that hashes, writes and syncs as Stowage must, and does nothing else.
    // It models the local blob store: not run on the S3 stack (whose reference is the ceiling).
    if (FLOOR && runs('putBig') && SERVERS.includes('nginx') && STACK !== 'pg-s3') {
      rec.floorBig = await durableFloorRound(ctx, r);
    }

    // 2. big GET: upload, flush, measure, delete
    for (const name of runs('getBig') ? order : []) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'getBig', async () => {
        reread(ctx.input);
        const up = await s.putBig(ctx.input, BIG, `get-${r + 1}`);
        syncDisks();
        // 2a. on the S3 stack, the same file through a second node of the same stack (its
        // database, bucket and Redis) that answers downloads with a presigned redirect; then
        // 2b. the proxy floor (bench/lib/proxy-floor.mjs): the same object passed on by a bare
        // node:http process, as Stowage's S3 store does. Before the proxied GET every other
        // round (the first GET after the upload may find s3rver busier).
        const redirectAndFloor = async () => {
          if (!CEILING || name !== 'stowage') return;
          const dir = path.join(ctx.runDir, `${name}-redirect-r${r + 1}`);
          let target = null;
          await measure(rec.servers[name], s, 'getBigRedirect', async () => {
            const got = await getBigRedirected(dir, stowageEnv[name], s.getPath(up.handle));
            target = got.target;
            return got.result;
          });
          if (FLOOR && target) rec.floorProxyGet = await proxyFloorRound(ctx, r, target);
        };
        if (r % 2 === 1) await redirectAndFloor();
        const sampler = new RssSampler(s.pid).start();
        let res;
        try {
          res = await rawGet(s.port, s.getPath(up.handle));
        } finally {
          rec.servers[name].getBigRss = sampler.stop();
        }
        if (r % 2 === 0) await redirectAndFloor();
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
    // 2a'. the read floor (bench/lib/get-floor.mjs): the same file from a bare node:http
    // process that reads it into user space as Node must (nginx uses sendfile).
    if (FLOOR && runs('getBig') && SERVERS.includes('nginx') && STACK !== 'pg-s3') {
      rec.floorGet = await getFloorRound(ctx, r);
    }
    for (const name of runs('putBig') || runs('putFsBig') || runs('getBig') ? order : []) {
      const x = rec.servers[name];
      Object.assign(
        x,
        combinedPeaks(
          x.putBigRss,
          x.putMultipartRss,
          x.putFsBigRss,
          x.putTusBigRss,
          x.putTusChunkedRss,
          x.getBigRss,
        ),
      );
    }

    // 2b. CONC_N uploads at once, then CONC_N downloads at once (distinct contents, deleted
    // after); aggregate MB/s, each process's peak RSS kept with the row (not in the RSS row).
    for (const key of ['putConcurrent', 'getConcurrent'].filter(runs)) {
      for (const name of order) {
        const s = servers[name];
        await measure(rec.servers[name], s, key, async () => {
          reread(ctx.concInput);
          syncDisks();
          const sampler = new RssSampler(s.pid).start();
          let res;
          try {
            const run = key === 'putConcurrent' ? putConcurrent : getConcurrent;
            res = await run(s, ctx.concInput, CONC_BYTES, CONC_N, `c${r + 1}`);
          } finally {
            rec.servers[name][`${key}Rss`] = sampler.stop();
          }
          const what = key === 'putConcurrent' ? 'PUT' : 'GET';
          log(`${name} ${what} ${CONC_LABEL} at once: ${res.mbps} MB/s (${res.seconds} s)`);
          return { ...res, peakProcessRssMiB: rec.servers[name][`${key}Rss`].peakProcessMiB };
        });
      }
      // The same uploads to the durable floor, as many processes as Stowage has workers.
      if (key === 'putConcurrent' && FLOOR && SERVERS.includes('nginx') && STACK !== 'pg-s3') {
        rec.floorConcurrent = await durableFloorConcurrent(ctx, r);
      }
      // The same downloads from the read floor's server, as many processes as Stowage has workers.
      if (key === 'getConcurrent' && FLOOR && SERVERS.includes('nginx') && STACK !== 'pg-s3') {
        rec.floorGetConcurrent = await readFloorConcurrent(ctx, r);
      }
    }

    // 3. 4 KiB GET with wrk
    for (const name of runs('getSmall') ? order : []) {
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

    // 3a. the Fastify floor (bench/lib/fastify-floor.mjs): the same GET from Fastify alone, in the
    // same round as nginx's and Stowage's (the framework's reach is as noisy as they are).
    if (FLOOR && runs('getSmall') && SERVERS.includes('nginx')) {
      try {
        rec.floorFastify = await measureFastifyFloor({
          runWrk,
          wrk: ctx.wrk,
          workers: WORKERS,
          seconds: WRK_SECONDS,
          warmupSeconds: WRK_WARMUP_SECONDS,
        });
      } catch (err) {
        rec.floorFastify = { error: err.message };
        log(`fastify floor: ERROR ${err.message}`);
      }
    }

    // 3b. 4 KiB GET from 64 source addresses (127.0.0.2-65): per-address state in the server
    for (const name of runs('getSmallMulti') ? order : []) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'getSmallMulti', async () => {
        const handle = await s.putSmallFile(ctx.small);
        const check = await request(s.port, 'GET', s.getPath(handle));
        if (check.status !== 200 || !check.body.equals(ctx.small)) {
          throw new Error(`GET ${s.getPath(handle)} returned wrong content: HTTP ${check.status}`);
        }
        const load = (seconds) =>
          runMultiClient({
            port: s.port,
            urlPath: s.getPath(handle),
            seconds,
            connections: CONNECTIONS,
            threads: WRK_THREADS,
          });
        if (WRK_WARMUP_SECONDS) await load(WRK_WARMUP_SECONDS);
        syncDisks();
        const w = await load(WRK_SECONDS);
        log(
          `${name} GET 4 KiB from ${CONNECTIONS} addresses: ${w.okRps} req/s ` +
            `(non-2xx ${w.non2xx}, p99 ${w.latencyMs.p99} ms)`,
        );
        return w;
      });
    }

    // 3c. 4 KiB GET with wrk while IDLE_CONNECTIONS keep-alive connections sit idle, each after
    // one GET of the file, IDLE_PER_ADDRESS per source address (127.0.0.100, ...)
    for (const name of runs('getSmallIdle') ? order : []) {
      const s = servers[name];
      await measure(rec.servers[name], s, 'getSmallIdle', async () => {
        const handle = await s.putSmallFile(ctx.small);
        return getWithIdleConnections({
          name,
          port: s.port,
          urlPath: s.getPath(handle),
          idle: IDLE_CONNECTIONS,
          perAddress: IDLE_PER_ADDRESS,
          load: (seconds) => runWrk(ctx.wrk, s.port, s.getPath(handle), seconds),
          warmupSeconds: WRK_WARMUP_SECONDS,
          seconds: WRK_SECONDS,
        });
      });
    }

    // 4. 4 KiB PUT with wrk + put.lua (distinct bodies; distinct paths for nginx)
    for (const name of runs('putSmall') ? order : []) {
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

    // 4b. the durable PUT floors (bench/lib/floor.mjs): node:http workers storing each 4 KiB
    // body in SQLite as Stowage must, and doing nothing else: in a table of their own
    // (floorSmall), then in Stowage's own tables with its statements (floorSmallStowage).
    // They model the embedded stack's SQLite: not run on PostgreSQL.
    if (FLOOR && runs('putSmall') && SERVERS.includes('nginx') && STACK === 'embedded') {
      for (const [key, schema] of [
        ['floorSmall', 'plain'],
        ['floorSmallStowage', 'stowage'],
      ]) {
        try {
          syncDisks();
          rec[key] = await measureDurablePut({
            runWrk,
            wrk: ctx.wrk,
            workers: WORKERS,
            seconds: WRK_SECONDS,
            warmupSeconds: WRK_WARMUP_SECONDS,
            args: ['fixed', '/durable/small.bin', String(SMALL)],
            dir: path.join(ctx.runDir, `${key}-r${r + 1}`),
            schema,
          });
        } catch (err) {
          rec[key] = { error: err.message };
          log(`durable PUT floor 4 KiB (${schema}): ERROR ${err.message}`);
        }
      }
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

/**
 * The big GET through a Stowage node started for it with STOWAGE_S3_REDIRECT=true on `env` (the
 * measured node's stack): the 302 to a presigned s3rver URL, then the bytes from s3rver, timed
 * together. One worker: the node only answers the redirect. Its reference (`directMbps`) is the
 * same client fetching the presigned URL straight away, just before: the AWS SDK's GetObject of
 * the ceiling is another client (slower than this raw socket), so not the reference here.
 * { result, target: the presigned URL }.
 */
async function getBigRedirected(dir, env, urlPath) {
  const node = await Stowage.start(dir, {
    cli: STOWAGE_CLI,
    workers: 1,
    env: { ...env, STOWAGE_S3_REDIRECT: 'true' },
  });
  const check = (res, what) => {
    if (res.status !== 200) throw new Error(`GET ${what}: HTTP ${res.status}`);
    if (res.bytes !== BIG) throw new Error(`GET ${what}: ${res.bytes} bytes, expected ${BIG}`);
    return Math.round(BIG / res.seconds / 1e6);
  };
  try {
    const target = await redirectTarget(node.port, urlPath);
    const direct = await rawGet(target.port, target.path);
    const directMbps = check(direct, 'of the presigned URL');
    const res = await rawGetRedirected(node.port, urlPath);
    const mbps = check(res, 'after the redirect');
    log(
      `stowage GET ${BIG_LABEL} by presigned redirect: ${mbps} MB/s (${res.seconds.toFixed(2)} s, ` +
        `the ${res.redirectStatus} in ${res.redirectMs} ms); the presigned URL alone ${directMbps} MB/s`,
    );
    return {
      result: { mbps, seconds: round2(res.seconds), redirectMs: res.redirectMs, directMbps },
      target: `http://${HOST}:${target.port}${target.path}`,
    };
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The concurrent uploads' row against the durable floor (WORKERS processes): { mbps, seconds }. */
async function durableFloorConcurrent(ctx, r) {
  let floor = null;
  try {
    floor = await startDurableFloor(path.join(ctx.runDir, `floor-conc-r${r + 1}`), WORKERS);
    reread(ctx.concInput);
    syncDisks();
    const res = await putConcurrent(floor.asServer(), ctx.concInput, CONC_BYTES, CONC_N, 'f');
    log(`durable floor PUT ${CONC_LABEL} at once: ${res.mbps} MB/s (${res.seconds} s)`);
    return { mbps: res.mbps, seconds: res.seconds };
  } catch (err) {
    log(`durable floor PUT ${CONC_LABEL} at once: ERROR ${err.message}`);
    return { error: err.message };
  } finally {
    floor?.stop();
  }
}

/**
 * The concurrent downloads' row against the read floor (WORKERS processes, `loop` way): the same
 * CONC_N rotated copies written to its directory and synced (as the servers' uploads are), then
 * fetched all at once: { mbps, seconds, eachSeconds }.
 */
async function readFloorConcurrent(ctx, r) {
  const dir = path.join(ctx.runDir, `floor-getconc-r${r + 1}`);
  let floor = null;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const names = Array.from({ length: CONC_N }, (_, i) => `c-${i}`);
    for (const [i, name] of names.entries()) {
      const offset = Math.floor((i * CONC_BYTES) / CONC_N);
      await pipeline(
        fileBody(ctx.concInput, CONC_BYTES, offset),
        fs.createWriteStream(path.join(dir, name)),
      );
    }
    syncDisks();
    floor = await startConcurrentGetFloor(dir, WORKERS);
    const res = await floor.getAll(names);
    log(`read floor GET ${CONC_LABEL} at once: ${res.mbps} MB/s (${res.seconds.toFixed(2)} s)`);
    return {
      mbps: res.mbps,
      seconds: round2(res.seconds),
      eachSeconds: res.eachSeconds.map(round2),
    };
  } catch (err) {
    log(`read floor GET ${CONC_LABEL} at once: ERROR ${err.message}`);
    return { error: err.message };
  } finally {
    floor?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One round of a floor server's modes, in order (reversed every other round): `start` starts it,
 * `one(floor, mode)` measures a mode. { [mode]: result or { error } }, or { error } if it would
 * not start.
 */
async function floorRound(what, start, modes, r, one) {
  const out = {};
  let floor = null;
  try {
    floor = await start();
    for (const mode of r % 2 === 0 ? modes : [...modes].reverse()) {
      try {
        out[mode] = await one(floor, mode);
      } catch (err) {
        out[mode] = { error: err.message };
        log(`${what} ${mode}: ERROR ${err.message}`);
      }
    }
  } catch (err) {
    log(`${what}: ERROR ${err.message}`);
    return { error: err.message };
  } finally {
    floor?.stop();
  }
  return out;
}

/** One round of the read floor: each mode's GET of the input, re-read into the page cache first. */
function getFloorRound(ctx, r) {
  return floorRound(
    'read floor',
    () => startGetFloor(ctx.input),
    GET_FLOOR_MODES,
    r,
    async (floor, mode) => {
      reread(ctx.input);
      const res = await floor.get(mode);
      log(`read floor GET ${BIG_LABEL} (${mode}): ${res.mbps} MB/s (${res.seconds.toFixed(2)} s)`);
      return { mbps: res.mbps, seconds: round2(res.seconds) };
    },
  );
}

/** One round of the proxy floor: each mode's GET of the object at the presigned URL `target`. */
function proxyFloorRound(ctx, r, target) {
  return floorRound(
    'proxy floor',
    () => startProxyFloor(ctx.stack.s3, target),
    PROXY_FLOOR_MODES,
    r,
    async (floor, mode) => {
      const res = await floor.get(mode, BIG);
      log(`proxy floor GET ${BIG_LABEL} (${mode}): ${res.mbps} MB/s (${res.seconds.toFixed(2)} s)`);
      return { mbps: res.mbps, seconds: round2(res.seconds) };
    },
  );
}

/** One round of the durable floor: each mode's PUT, input re-read and disks synced before it. */
function durableFloorRound(ctx, r) {
  const dir = path.join(ctx.runDir, `floor-r${r + 1}`);
  return floorRound(
    'durable floor',
    () => startDurableFloor(dir),
    FLOOR_BIG,
    r,
    async (floor, mode) => {
      reread(ctx.input);
      syncDisks();
      const res = await floor.put(mode, ctx.input, BIG);
      log(
        `durable floor PUT ${BIG_LABEL} (${mode}): ${res.mbps} MB/s (${res.seconds.toFixed(2)} s, ` +
          `${res.cpuSeconds.toFixed(2)} s of CPU)`,
      );
      return { mbps: res.mbps, seconds: round2(res.seconds), cpuSeconds: round2(res.cpuSeconds) };
    },
  );
}

// ---------------------------------------------------------------------------------------------
// thumbnails (Stowage alone, one worker: its in-memory cache is per process)

async function runThumbnails(runDir) {
  const dir = path.join(runDir, 'stowage-thumbs');
  let server = null;
  try {
    server = await Stowage.start(dir, { cli: STOWAGE_CLI, workers: 1 });
    return await measureThumbnails(server);
  } catch (err) {
    log(`thumbnails: ERROR ${err.message}`);
    return { error: err.message };
  } finally {
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// the filesystem API (Stowage alone): stat of 10,000 children, recursive deletes of 10,000 nodes

async function runFilesystem(runDir, stack) {
  const dir = path.join(runDir, 'stowage-fs');
  let server = null;
  try {
    server = await Stowage.start(dir, {
      cli: STOWAGE_CLI,
      workers: WORKERS,
      env: stack ? await stack.envForNewServer() : {},
    });
    return await measureFilesystem(server, {
      fileBytes: FS_FILE_BYTES,
      statRepeats: FS_STAT_REPEATS,
      deleteRounds: FS_DELETE_ROUNDS,
    });
  } catch (err) {
    log(`filesystem: ERROR ${err.message}`);
    return { error: err.message };
  } finally {
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// the web UI (Stowage alone): viewer page latency, page weights, a big upload from the browser

async function runWeb(runDir, wrk) {
  const dir = path.join(runDir, 'stowage-web');
  let server = null;
  try {
    server = await Stowage.start(dir, { cli: STOWAGE_CLI, workers: WORKERS });
    const result = await measureWebPages(server, wrk);
    if (WEB_UPLOAD_GIB > 0) {
      log(`web: uploading ${WEB_UPLOAD_GIB} GiB from the browser's upload page`);
      result.upload = await measureBrowserUpload(server, runDir, WEB_UPLOAD_GIB).catch((err) => ({
        error: err.message,
      }));
      log(`web: ${renderWeb(result)}`);
    }
    return result;
  } catch (err) {
    log(`web: ERROR ${err.message}`);
    return { error: err.message };
  } finally {
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const unknownRows = ONLY.filter((k) => k !== 'ceiling' && !ALL_METRICS.some((m) => m.key === k));
  if (unknownRows.length) {
    console.error(
      `bench: BENCH_ONLY lists unknown rows (${unknownRows.join(', ')}); known: ` +
        [...ALL_METRICS.map((m) => m.key), 'ceiling'].join(', '),
    );
    process.exit(1);
  }
  if (ONLY.includes('ceiling') && STACK !== 'pg-s3') {
    console.error('bench: BENCH_ONLY=ceiling measures the scale-out stack: add --stack pg-s3');
    process.exit(1);
  }
  const unknown = SERVERS.filter((s) => s !== 'nginx' && s !== 'stowage');
  if (unknown.length || SERVERS.length === 0) {
    console.error(
      `bench: BENCH_SERVERS must list nginx and/or stowage, got "${env.BENCH_SERVERS}"`,
    );
    process.exit(1);
  }
  if (THUMBS_ONLY) {
    if (!fs.existsSync(STOWAGE_CLI)) {
      console.error(`bench: ${STOWAGE_CLI} not found; build first (npm run build)`);
      process.exit(1);
    }
    const t = await runThumbnails(createRunDir());
    console.log(`\n${renderThumbnails(t)}`);
    if (t.error) process.exitCode = 1;
    return;
  }
  if (FS_ONLY) {
    if (!fs.existsSync(STOWAGE_CLI)) {
      console.error(`bench: ${STOWAGE_CLI} not found; build first (npm run build)`);
      process.exit(1);
    }
    const runDir = createRunDir();
    const stack = STACK === 'embedded' ? null : await startPgS3({ s3: STACK === 'pg-s3' });
    let f;
    try {
      f = await runFilesystem(runDir, stack);
    } finally {
      await stack?.stop();
    }
    const where = stackLabel(STACK);
    const environment = collectEnvironment({ nginx: 'true', wrk: 'true', workers: WORKERS });
    console.log(
      `\nmachine: ${environment.nproc} CPUs (${environment.cpu}), load ${environment.loadAvgAtStart[0]} at start; ` +
        `stowage workers ${WORKERS}; stack ${where}\n${renderFilesystem(f)}`,
    );
    if (f.error) process.exitCode = 1;
    return;
  }
  if (WEB_ONLY) {
    if (!fs.existsSync(STOWAGE_CLI)) {
      console.error(`bench: ${STOWAGE_CLI} not found; build first (npm run build)`);
      process.exit(1);
    }
    const w = await runWeb(createRunDir(), findExecutable('wrk'));
    console.log(`\n${renderWeb(w)}`);
    if (w.error || w.upload?.error) process.exitCode = 1;
    return;
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
  const environment = collectEnvironment({ nginx, wrk, workers: WORKERS });
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
    concurrentTransfers: CONC_N,
    concurrentBytes: CONC_BYTES,
    idleConnections: IDLE_CONNECTIONS,
    idlePerAddress: IDLE_PER_ADDRESS,
    rssIntervalMs: RSS_INTERVAL_MS,
    stowageCli: path.relative(ROOT, STOWAGE_CLI),
    stack: STACK,
    stowageEnv: process.env.BENCH_STOWAGE_ENV ?? '',
  };
  log(
    `${environment.nproc} CPUs, node ${environment.node}, ${environment.nginx}, ` +
      `${ROUNDS} round(s), ${BIG_LABEL}, wrk ${WRK_SECONDS} s, stowage workers ${WORKERS}`,
  );

  if (environment.loadAvgAtStart[0] > 1) {
    log(`warning: load average ${environment.loadAvgAtStart[0]}; other work skews the numbers`);
  }
  const input = runs('putBig') || runs('getBig') ? inputFile(BIG, BIG_LABEL) : null;
  const concInput =
    runs('putConcurrent') || runs('getConcurrent')
      ? inputFile(CONC_BYTES, `${CONC_BYTES / MiB} MiB`)
      : null;
  const runDir = createRunDir();
  const stack = STACK === 'embedded' ? null : await startPgS3({ s3: STACK === 'pg-s3' });
  const ctx = { nginx, wrk, input, concInput, runDir, small: crypto.randomBytes(SMALL), stack };

  const rounds = [];
  let filesystem = null;
  try {
    for (let r = 0; r < ROUNDS; r++) rounds.push(await runRound(r, ctx));
    if (FS && !ONLY.length && SERVERS.includes('stowage')) {
      filesystem = await runFilesystem(runDir, stack);
    }
  } finally {
    await stack?.stop();
  }
  const thumbnails =
    THUMBS && !ONLY.length && SERVERS.includes('stowage') ? await runThumbnails(runDir) : null;
  const web = WEB && !ONLY.length && SERVERS.includes('stowage') ? await runWeb(runDir, wrk) : null;
  const summary = summarize(rounds, VIEW);
  if (CEILING) summary.ceiling = summarizeCeiling(rounds, CEILING_TARGET);
  if (rounds.some((r) => r.floorBig)) summary.floorBig = summarizeDurableFloor(rounds, FLOOR_BIG);
  if (rounds.some((r) => r.floorSmall)) summary.floorSmall = summarizeDurableSmallFloor(rounds);
  if (rounds.some((r) => r.floorSmallStowage)) {
    summary.floorSmallStowage = summarizeDurableSmallFloor(rounds, 'floorSmallStowage');
  }
  if (rounds.some((r) => r.floorFastify)) summary.floorFastify = summarizeFastifyFloor(rounds);
  if (rounds.some((r) => r.floorGet)) summary.floorGet = summarizeGetFloor(rounds);
  if (rounds.some((r) => r.floorProxyGet)) summary.floorProxyGet = summarizeProxyFloor(rounds);
  if (rounds.some((r) => r.floorConcurrent)) {
    summary.floorConcurrent = summarizeDurableConcurrentFloor(rounds);
  }
  if (rounds.some((r) => r.floorGetConcurrent)) {
    summary.floorGetConcurrent = summarizeConcurrentGetFloor(rounds);
  }
  // The node:http floor (bench/lib/floor.mjs): once, after the rounds, next to nginx's medians.
  if (FLOOR && summary.getSmall?.nginx && summary.putSmall?.nginx) {
    const floor = await measureFloor({
      runWrk,
      wrk,
      workers: WORKERS,
      seconds: WRK_SECONDS,
      warmupSeconds: WRK_WARMUP_SECONDS,
      putArgs: ['fixed', '/api/file/small.bin', String(SMALL)],
      dir: path.join(runDir, 'floor-small'),
    });
    summary.floor = {
      ...floor,
      getRatio: floor.getRps / summary.getSmall.nginx,
      putRatio: floor.putRps / summary.putSmall.nginx,
    };
  }
  const finishedAt = new Date();

  const machine =
    `machine: ${environment.nproc} CPUs (${environment.cpu}), ${environment.memGiB} GiB RAM, ` +
    `${environment.kernel}; node ${environment.node}; ${environment.nginx}; ` +
    `${environment.wrk}; stowage workers ${WORKERS}; stack ${stackLabel(STACK)}` +
    (config.stowageEnv ? `; stowage environment ${config.stowageEnv}` : '');
  const setup =
    `run: ${ROUNDS} round(s) interleaved (order reversed every round), ${BIG_LABEL} transfers, ` +
    `wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${WRK_SECONDS}s; ratio = median of per-round ` +
    `ratios${ROUNDS > 1 ? ' [min–max]' : ''}`;
  console.log(
    `\n${machine}\n${setup}\n\n${renderTable(summary, VIEW)}\n\n${renderNotes(summary, VIEW)}`,
  );
  if (summary.ceiling) console.log(`\n${renderCeiling(summary.ceiling, BIG_LABEL)}`);
  if (summary.floorProxyGet) console.log(renderProxyFloor(summary.floorProxyGet, BIG_LABEL));
  if (summary.floor) {
    const f = summary.floor;
    console.log(
      `\nnode:http floor (${WORKERS} workers, no framework, no storage): GET 4 KiB ` +
        `${Math.round(f.getRps)} req/s = ${f.getRatio.toFixed(2)}x nginx; PUT 4 KiB ` +
        `${Math.round(f.putRps)} req/s = ${f.putRatio.toFixed(2)}x nginx`,
    );
  }
  if (summary.floorFastify) console.log(renderFastifyFloor(summary.floorFastify, WORKERS));
  if (summary.floorBig) console.log(`\n${renderDurableFloor(summary.floorBig, BIG_LABEL)}`);
  if (summary.floorGet) console.log(`\n${renderGetFloor(summary.floorGet, BIG_LABEL)}`);
  if (summary.floorConcurrent) {
    const f = renderDurableConcurrentFloor(summary.floorConcurrent, CONC_LABEL, WORKERS);
    console.log(`\n${f}`);
  }
  if (summary.floorGetConcurrent) {
    const f = renderConcurrentGetFloor(summary.floorGetConcurrent, CONC_LABEL, WORKERS);
    console.log(`\n${f}`);
  }
  if (summary.floorSmall) console.log(`\n${renderDurableSmallFloor(summary.floorSmall, WORKERS)}`);
  if (summary.floorSmallStowage) {
    const f = renderDurableSmallFloor(summary.floorSmallStowage, WORKERS, 'stowage');
    console.log(`\n${f}`);
  }
  if (filesystem) console.log(`\n${renderFilesystem(filesystem)}`);
  if (thumbnails) console.log(`\n${renderThumbnails(thumbnails)}`);
  if (web) console.log(`\n${renderWeb(web)}`);

  const outFile = writeResults({
    startedAt,
    finishedAt,
    environment,
    config,
    summary: {
      ...summary,
      ...(filesystem ? { filesystem } : {}),
      ...(thumbnails ? { thumbnails } : {}),
      ...(web ? { web } : {}),
    },
    rounds,
  });
  console.log(`\nresults: ${path.relative(ROOT, outFile)}`);

  const errors = failedMeasurements(rounds);
  for (const r of rounds) if (r.ceiling?.error) errors.push(`ceiling (round ${r.round})`);
  // A floor that failed (as a whole, or one of its modes) fails the run as a measurement does.
  const floors = {
    floorBig: 'durable floor',
    floorConcurrent: 'durable concurrent floor',
    floorGet: 'read floor',
    floorGetConcurrent: 'concurrent read floor',
    floorProxyGet: 'proxy floor',
    floorFastify: 'Fastify floor',
    floorSmall: 'durable PUT floor 4 KiB',
    floorSmallStowage: "durable PUT floor 4 KiB on Stowage's tables",
  };
  // These keep one result per mode, each of which can fail alone.
  const withModes = new Set(['floorBig', 'floorGet', 'floorProxyGet']);
  for (const r of rounds) {
    for (const [key, what] of Object.entries(floors)) {
      const x = r[key];
      if (x?.error) errors.push(`${what} (round ${r.round})`);
      else if (x && withModes.has(key)) {
        for (const [mode, m] of Object.entries(x)) {
          if (m?.error) errors.push(`${what} ${mode} (round ${r.round})`);
        }
      }
    }
  }
  if (filesystem?.error) errors.push('stowage filesystem');
  if (thumbnails?.error) errors.push('stowage thumbnails');
  if (web?.error || web?.upload?.error) errors.push('stowage web UI');
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
