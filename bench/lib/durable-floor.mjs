// The durable-upload floor: what a bare node:http process reaches on this machine for the 1 GiB
// PUT when it does only what Stowage's guarantees demand, and nothing else. It reads the body,
// hashes it with SHA-256 on its event loop, writes it in 1 MiB batches (one write in flight, a
// background fdatasync every 32 MiB, as src/storage/local-blob-store.ts does), fdatasyncs the
// file, renames it and fsyncs the directory, and only then answers 201. No framework, no
// database, no checks. nginx does none of the hashing and none of the syncing, so the floor's
// ratio to nginx bounds the large-PUT rows: a target above it is out of reach for a Node server
// that hashes on its event loop on this machine.
//
// The other modes split the floor into its parts (BENCH_FLOOR_BIG_MODES, e.g.
// "receive,hash,write,sync,durable"): `receive` only reads the body, `hash` reads and hashes,
// `write` reads and writes (no sync, no hash), `sync` writes and syncs (no hash), `durable` all.
// The response carries the process's CPU seconds spent on the request.
//
// With `workers` > 1 the same server runs as a cluster of that many processes (as Stowage's
// STOWAGE_WORKERS): the floor of the concurrent uploads' row, whose uploads the kernel spreads
// over the processes as it spreads Stowage's.

import fs from 'node:fs';
import { freePort } from './servers.mjs';
import { streamPut } from './clients.mjs';
import { HOST, startScript } from './util.mjs';

export const FLOOR_BIG_MODES = ['receive', 'hash', 'write', 'sync', 'durable'];

const SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const fs = require('node:fs/promises');
const crypto = require('node:crypto');
const path = require('node:path');
const [port, dir, workers] = [Number(process.argv[1]), process.argv[2], Number(process.argv[3])];
const MODES = { receive: [0, 0, 0], hash: [1, 0, 0], write: [0, 1, 0], sync: [0, 1, 1], durable: [1, 1, 1] };
let n = 0;
async function upload(req, mode) {
  const [hashes, writes, syncs] = MODES[mode];
  const hash = hashes ? crypto.createHash('sha256') : null;
  const tmp = path.join(dir, 'upload-' + process.pid + '-' + n++);
  const fh = writes ? await fs.open(tmp, 'wx', 0o600) : null;
  let batch = [], bytes = 0, position = 0, syncedUpTo = 0, early = null;
  let inFlight = Promise.resolve();
  const flush = async () => {
    const chunks = batch, at = position;
    position += bytes; batch = []; bytes = 0;
    await inFlight;
    inFlight = fh.writev(chunks, at);
    if (syncs && position - syncedUpTo >= 32 * 1024 * 1024 && !early) {
      syncedUpTo = at;
      early = fh.datasync().finally(() => (early = null));
    }
  };
  try {
    for await (const chunk of req) {
      if (hash) hash.update(chunk);
      if (!writes) continue;
      batch.push(chunk);
      bytes += chunk.length;
      if (bytes >= 1024 * 1024) await flush();
    }
    if (writes) {
      if (bytes) await flush();
      await inFlight;
      await early;
      if (syncs) await fh.datasync();
      await fh.close();
      const final = tmp + '.stored';
      await fs.rename(tmp, final);
      if (syncs) {
        const d = await fs.open(dir, 'r');
        await d.sync();
        await d.close();
      }
      await fs.unlink(final);
    }
    return hash ? hash.digest('hex') : null;
  } catch (err) {
    await fh?.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log('ready'); });
  cluster.on('exit', () => process.exit(1)); // a worker that died ends the floor
} else http.createServer((req, res) => {
  req.on('error', () => {});
  const mode = req.url.slice(1);
  const cpu = process.cpuUsage();
  if (req.method !== 'PUT' || !MODES[mode]) { res.writeHead(404).end(); return; }
  upload(req, mode).then(
    (sha256) => {
      const used = process.cpuUsage(cpu);
      const json = JSON.stringify({ sha256, cpuSeconds: (used.user + used.system) / 1e6 });
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': json.length });
      res.end(json);
    },
    (err) => res.writeHead(500).end(String(err)),
  );
}).listen(port, '${HOST}', () => { if (!cluster.isWorker) console.log('ready'); });
`;

/** The floor's server, `workers` processes writing under `dir`; stop() kills it. */
export async function startDurableFloor(dir, workers = 1) {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = [String(port), dir, String(workers)];
  const { stop } = await startScript(SERVER, args, 'durable floor server');
  return {
    /**
     * One PUT of `size` bytes of `file` in `mode` (`offset`: the body starts there in the file and
     * wraps around, see streamPut): { mbps, seconds, cpuSeconds, sha256 }.
     */
    async put(mode, file, size, offset = 0) {
      const res = await streamPut(port, `/${mode}`, file, size, {}, offset);
      if (res.status !== 201) {
        throw new Error(
          `floor PUT /${mode}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`,
        );
      }
      const { sha256, cpuSeconds } = JSON.parse(res.body.toString());
      return {
        mbps: Math.round(size / res.seconds / 1e6),
        seconds: res.seconds,
        cpuSeconds,
        sha256,
      };
    },
    /** The same as a server of concurrent.mjs: putBig is a durable PUT; remove has nothing to do. */
    asServer() {
      return {
        putBig: async (file, size, _tag, offset) => {
          const res = await this.put('durable', file, size, offset);
          return { seconds: res.seconds, status: 201, handle: null };
        },
        remove: async () => {},
      };
    },
    stop,
  };
}
