// The node:http floor: what Node itself reaches on this machine for the 4 KiB rows, with no
// framework, no storage and no checks. A cluster of STOWAGE_WORKERS node:http workers answers
// every GET with the same 4 KiB from memory (headers like Stowage's) and every PUT with a 201 and
// a small JSON body once the body is read. Its ratio to nginx bounds what Stowage (a Node server)
// can reach here: a row whose target is above it is out of reach on this machine whatever
// Stowage does.
//
// The durable PUT floor: the same workers, but a PUT under /durable/ is stored as Stowage stores
// a small upload, and nothing else is done: its SHA-256 and a random id, one row in a SQLite
// table (WAL, one transaction per turn of the event loop for all bodies that arrived in it,
// committed with synchronous = NORMAL), the WAL fdatasync'd from the thread pool, then the 201s.
// Each worker has its own connection (busy_timeout 5 s). No framework, no accounts, no dedup,
// no media sniffing, no limits.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort } from './servers.mjs';
import { HOST, log, startScript } from './util.mjs';

const SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const fs = require('node:fs');
const crypto = require('node:crypto');
const [port, workers] = process.argv.slice(1, 3).map(Number);
const [sqlite, dbFile] = process.argv.slice(3);
const Database = require(sqlite);
const open = () => {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
};
if (cluster.isPrimary) {
  open()
    .exec('CREATE TABLE files (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, data BLOB)')
    .close();
  for (let i = 0; i < workers; i++) cluster.fork();
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log('ready'); });
} else {
  const body = Buffer.alloc(4096, 7);
  const db = open();
  const insert = db.prepare('INSERT INTO files (id, sha256, size, data) VALUES (?, ?, ?, ?)');
  const insertAll = db.transaction((rows) => { for (const r of rows) insert.run(r.id, r.sha256, r.size, r.data); });
  const wal = fs.promises.open(dbFile + '-wal', 'r');
  let pending = [];
  const commit = () => {
    const rows = pending;
    pending = [];
    try {
      insertAll(rows);
    } catch (err) {
      for (const r of rows) r.res.writeHead(500).end(String(err));
      return;
    }
    wal.then((fh) => fh.datasync()).then(
      () => {
        for (const r of rows) {
          const json = JSON.stringify({ id: r.id });
          r.res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': json.length });
          r.res.end(json);
        }
      },
      (err) => { for (const r of rows) r.res.writeHead(500).end(String(err)); },
    );
  };
  http.createServer((req, res) => {
    if (req.method === 'PUT' && req.url.startsWith('/durable/')) {
      req.on('error', () => {});
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const data = Buffer.concat(chunks);
        const sha256 = crypto.createHash('sha256').update(data).digest('hex');
        const id = crypto.randomBytes(6).toString('base64url');
        if (pending.push({ id, sha256, size: data.length, data, res }) === 1) setImmediate(commit);
      });
      return;
    }
    if (req.method === 'PUT') {
      req.on('data', () => {});
      req.on('end', () => {
        const json = '{"id":"abcdefgh"}';
        res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': json.length });
        res.end(json);
      });
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': body.length,
      'Content-Disposition': 'inline; filename="small.bin"',
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'public, max-age=31536000',
      'Last-Modified': new Date(0).toUTCString(),
    });
    res.end(body);
  }).listen(port, '${HOST}');
}
`;

/** The floor's cluster of `workers`, its SQLite database under `dir`; stop() kills it. */
export async function startFloor({ workers, dir }) {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const dbFile = path.join(dir, 'floor.db');
  const { stop } = await startScript(
    SERVER,
    [String(port), String(workers), sqlite, dbFile],
    'floor server',
  );
  return { port, stop };
}

/** Run wrk's GET and PUT rows against the floor server; { getRps, putRps } (2xx per second). */
export async function measureFloor({ runWrk, wrk, workers, seconds, warmupSeconds, putArgs, dir }) {
  const { port, stop } = await startFloor({ workers, dir });
  try {
    if (warmupSeconds) await runWrk(wrk, port, '/f', warmupSeconds);
    const get = await runWrk(wrk, port, '/f', seconds);
    if (warmupSeconds) await runWrk(wrk, port, '/', warmupSeconds, putArgs);
    const put = await runWrk(wrk, port, '/', seconds, putArgs);
    log(`node:http floor: GET 4 KiB ${get.okRps} req/s, PUT 4 KiB ${put.okRps} req/s`);
    return { getRps: get.okRps, putRps: put.okRps };
  } finally {
    stop();
  }
}

/** The durable PUT floor's wrk run (`args`: put.lua's, to a /durable/ path): wrk's result. */
export async function measureDurablePut({
  runWrk,
  wrk,
  workers,
  seconds,
  warmupSeconds,
  args,
  dir,
}) {
  const { port, stop } = await startFloor({ workers, dir });
  try {
    if (warmupSeconds) await runWrk(wrk, port, '/', warmupSeconds, args);
    const w = await runWrk(wrk, port, '/', seconds, args);
    log(
      `durable PUT floor 4 KiB: ${w.okRps} req/s (non-2xx ${w.non2xx}, p99 ${w.latencyMs.p99} ms)`,
    );
    return w;
  } finally {
    stop();
  }
}
