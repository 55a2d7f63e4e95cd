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
//
// The durable PUT floor on Stowage's tables (`schema: 'stowage'`): the same server, but its
// database is made by Stowage's own migrations (the built dist/src/storage/db.js) and each body
// is stored with the three statements a small upload runs there (the id check, the blob upsert
// with its bytes, the file row), with Stowage's settings (checkpoint every WAL_AUTOCHECKPOINT
// pages, foreign keys on). What separates it from the plain floor is what Stowage's data model
// costs SQLite (its indexes: the content hash, the file id, the files of a blob, the moderation
// ones); what separates Stowage from it is everything else Stowage does.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './servers.mjs';
import { HOST, ROOT, log, startScript } from './util.mjs';

const SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const fs = require('node:fs');
const crypto = require('node:crypto');
const [port, workers] = process.argv.slice(1, 3).map(Number);
const [sqlite, dbFile, stowageDb] = process.argv.slice(3);
const Database = require(sqlite);
const open = (checkpoint) => {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  if (stowageDb) {
    db.pragma('wal_autocheckpoint = ' + checkpoint);
    db.pragma('foreign_keys = ON');
  }
  return db;
};
const start = async () => {
  if (!stowageDb) {
    open().exec('CREATE TABLE files (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, data BLOB)').close();
    return;
  }
  const { openSqlite, migrate } = await import(stowageDb);
  const db = openSqlite(require('node:path').dirname(dbFile));
  await migrate(db);
  await db.destroy();
};
if (cluster.isPrimary) {
  start().then(() => {
    for (let i = 0; i < workers; i++) cluster.fork();
  }, (err) => { console.error(err); process.exit(1); });
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log('ready'); });
  // A worker that fails to start takes the floor down, so the bench hears of it.
  cluster.on('exit', (w, code) => { if (up < workers) { console.error('floor worker exited', code); process.exit(1); } });
} else (async () => {
  const body = Buffer.alloc(4096, 7);
  let insertAll;
  if (stowageDb) {
    const { WAL_AUTOCHECKPOINT } = await import(stowageDb);
    const db = open(WAL_AUTOCHECKPOINT);
    // As Kysely compiles Stowage's statements (src/storage/file-repository.ts).
    const taken = db.prepare('select "id" from "files" where "id" = ?');
    const blob = db.prepare('insert into "blobs" ("key", "location", "size", "refcount", "data", "created_at") values (?, ?, ?, ?, ?, ?) on conflict ("key") do update set "refcount" = blobs.refcount + 1 returning "location"');
    const file = db.prepare('insert into "files" ("id", "name", "size", "mime_type", "blob_key", "owner_id", "delete_key_hash", "created_at", "last_view_at", "expires_at", "uploader_ip", "last_download_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // BEGIN IMMEDIATE, as Stowage's write batcher: a transaction that reads first cannot take the
    // write lock once the other worker has committed.
    const batch = db.transaction((rows) => {
      for (const r of rows) {
        const now = Date.now();
        if (taken.get(r.id)) throw new Error('id taken');
        blob.get(r.sha256, 'inline', r.size, 1, r.data, now);
        file.run(r.id, 'small.bin', r.size, 'application/octet-stream', r.sha256, null, null, now, now, null, '127.0.0.1', now);
      }
    });
    insertAll = (rows) => batch.immediate(rows);
  } else {
    const db = open();
    const insert = db.prepare('INSERT INTO files (id, sha256, size, data) VALUES (?, ?, ?, ?)');
    insertAll = db.transaction((rows) => { for (const r of rows) insert.run(r.id, r.sha256, r.size, r.data); });
  }
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
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** Stowage's built storage module, whose migrations make the `stowage` floor's tables. */
const STOWAGE_DB = path.join(ROOT, 'dist/src/storage/db.js');

/**
 * The floor's cluster of `workers`, its SQLite database under `dir` (`schema`: 'plain', one
 * table of its own, or 'stowage', Stowage's migrated tables); stop() kills it.
 */
export async function startFloor({ workers, dir, schema = 'plain' }) {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const args = [String(port), String(workers), sqlite];
  if (schema === 'stowage') {
    if (!fs.existsSync(STOWAGE_DB)) throw new Error(`${STOWAGE_DB} is missing: npm run build`);
    args.push(path.join(dir, 'stowage.db'), pathToFileURL(STOWAGE_DB).href);
  } else {
    args.push(path.join(dir, 'floor.db'));
  }
  const { stop } = await startScript(SERVER, args, 'floor server');
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

/**
 * The durable PUT floor's wrk run (`args`: put.lua's, to a /durable/ path; `schema` as in
 * startFloor): wrk's result.
 */
export async function measureDurablePut({
  runWrk,
  wrk,
  workers,
  seconds,
  warmupSeconds,
  args,
  dir,
  schema = 'plain',
}) {
  const { port, stop } = await startFloor({ workers, dir, schema });
  try {
    if (warmupSeconds) await runWrk(wrk, port, '/', warmupSeconds, args);
    const w = await runWrk(wrk, port, '/', seconds, args);
    const what =
      schema === 'stowage'
        ? "durable PUT floor 4 KiB on Stowage's tables"
        : 'durable PUT floor 4 KiB';
    log(`${what}: ${w.okRps} req/s (non-2xx ${w.non2xx}, p99 ${w.latencyMs.p99} ms)`);
    return w;
  } finally {
    stop();
  }
}
