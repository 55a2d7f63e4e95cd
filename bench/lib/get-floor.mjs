// The read floor of the 1 GiB GET: what a bare node:http process reaches on this machine when it
// sends a file from the page cache as a Node server can, with no framework, no database and no
// checks. nginx sends with sendfile(2): the kernel hands the cached pages to the socket. Node has
// no sendfile, so every byte is read into user space and written to the socket again. Two ways:
//
// - `stream`: the file's read stream (1 MiB reads) piped into the response, as Stowage's local
//   blob store and sendFile do;
// - `loop`: two 1 MiB buffers, each read into again once the socket has taken it (no allocation
//   per chunk, at most one read and two writes in flight).
//
// Its ratio to nginx bounds the GET 1 GiB row: a target above it is out of reach for a Node
// server on this machine whatever Stowage does. Started with a directory and several workers
// (`startConcurrentGetFloor`), the same server sends the concurrent GETs' files, `loop` way, as
// many processes as Stowage has workers: the floor of the concurrent GET row.

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort } from './servers.mjs';
import { rawGet } from './clients.mjs';
import { fmtNum, fmtSpread, over, spread, summarizeMbpsFloor } from './report.mjs';
import { HOST, median, startScript } from './util.mjs';

export const GET_FLOOR_MODES = ['stream', 'loop'];

const SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs/promises');
const { pipeline } = require('node:stream/promises');
const [port, file, dir, workers] = [Number(process.argv[1]), process.argv[2], process.argv[3], Number(process.argv[4] || 1)];
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log('ready'); });
  cluster.on('exit', () => process.exit(1)); // a worker that died (or never listened) ends the floor
} else {
const CHUNK = 1024 * 1024;
async function loop(fh, size, res) {
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let position = 0;
  let turn = 0;
  let written = Promise.resolve();
  while (position < size) {
    const buf = bufs[turn++ & 1];
    const { bytesRead } = await fh.read(buf, 0, buf.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const before = written;
    written = new Promise((resolve, reject) =>
      res.write(buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())),
    );
    // Handled here as soon as made: a client gone fails the one awaited below, and the newest
    // write must not fail unobserved (an unhandled rejection ends the process).
    written.catch(() => {});
    await before; // the buffer read into next was the one this write held
  }
  await written;
  res.end();
}
http.createServer(async (req, res) => {
  req.on('error', () => {});
  res.on('error', () => {});
  // /{mode}: the file; /{mode}/{name}: a file of the directory
  const [, mode, name] = /^\\/(stream|loop)(?:\\/([a-z0-9-]+))?$/.exec(req.url) ?? [];
  if (req.method !== 'GET' || !mode || (name && !dir)) {
    res.writeHead(404).end();
    return;
  }
  let fh;
  try {
    fh = await fs.open(name ? path.join(dir, name) : file, 'r');
    const { size } = await fh.stat();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    if (mode === 'stream') {
      const stream = fh.createReadStream({ highWaterMark: CHUNK });
      fh = null; // the stream closes it
      await pipeline(stream, res);
    } else await loop(fh, size, res);
  } catch {
    res.destroy();
  } finally {
    await fh?.close().catch(() => {});
  }
}).listen(port, '${HOST}', () => { if (workers === 1) console.log('ready'); });
}
`;

/** The floor's server, sending `file`; get(mode) fetches it once; stop() kills it. */
export async function startGetFloor(file) {
  const port = await freePort();
  const { stop } = await startScript(SERVER, [String(port), file, '', '1'], 'read floor server');
  const size = fs.statSync(file).size;
  return {
    /** One GET of the whole file in `mode`, read as the bench reads Stowage's. */
    get: (mode) => floorGet(port, mode, size, 'read floor'),
    stop,
  };
}

/**
 * The concurrent GET row's floor: `workers` processes of the floor's server sending the files of
 * `dir`; getAll(names) fetches them all at once (`loop` way), checked, { mbps (aggregate),
 * seconds, eachSeconds }; stop() kills it.
 */
export async function startConcurrentGetFloor(dir, workers) {
  const port = await freePort();
  const { stop } = await startScript(
    SERVER,
    [String(port), '', dir, String(workers)],
    'concurrent read floor server',
  );
  return {
    async getAll(names) {
      const sizes = names.map((n) => fs.statSync(`${dir}/${n}`).size);
      const t0 = performance.now();
      const gets = await Promise.all(
        names.map((n, i) => floorGet(port, `loop/${n}`, sizes[i], 'concurrent read floor')),
      );
      const seconds = (performance.now() - t0) / 1000;
      const bytes = sizes.reduce((a, b) => a + b, 0);
      return {
        mbps: Math.round(bytes / seconds / 1e6),
        seconds,
        eachSeconds: gets.map((g) => g.seconds),
      };
    },
    stop,
  };
}

/**
 * One GET of `/${mode}` from a floor's server on `port`, read with the raw-socket client that
 * reads Stowage's, checked (status 200, `size` bytes): { mbps, seconds }.
 */
export async function floorGet(port, mode, size, what) {
  const res = await rawGet(port, `/${mode}`);
  if (res.status !== 200) throw new Error(`${what} GET /${mode}: HTTP ${res.status}`);
  if (res.bytes !== size) {
    throw new Error(`${what} GET /${mode}: ${res.bytes} bytes, expected ${size}`);
  }
  return { mbps: Math.round(size / res.seconds / 1e6), seconds: res.seconds };
}

/**
 * A GET floor over the rounds, recorded as `round[key][mode]`: per mode, its MB/s (median) and,
 * under `ratioName`, its ratio to `reference(round)`; `stowageToFloor`: `stowage(round)` as a
 * ratio to the `main` mode.
 */
export function summarizeFloor(rounds, { key, modes, main, ratioName, reference, stowage }) {
  const mbps = (r, mode) => r[key]?.[mode]?.mbps;
  const out = { rounds: rounds.filter((r) => r[key] && !r[key].error).length };
  for (const mode of modes) {
    out[mode] = {
      mbps: median(rounds.map((r) => mbps(r, mode))),
      [ratioName]: spread(rounds.map((r) => over(mbps(r, mode), reference(r)))),
    };
  }
  out.stowageToFloor = spread(rounds.map((r) => over(stowage(r), mbps(r, main))));
  return out;
}

/**
 * Per mode: the floor's MB/s (median over rounds) and its ratio to nginx's GET of the same round;
 * Stowage's GET as a ratio to the `stream` floor (the way it reads).
 */
export function summarizeGetFloor(rounds) {
  return summarizeFloor(rounds, {
    key: 'floorGet',
    modes: GET_FLOOR_MODES,
    main: 'stream',
    ratioName: 'toNginx',
    reference: (r) => r.servers.nginx?.getBig?.mbps,
    stowage: (r) => r.servers.stowage?.getBig?.mbps,
  });
}

export function renderGetFloor(f, bigLabel) {
  const modes = GET_FLOOR_MODES.map(
    (m) => `${m} ${fmtNum(f[m].mbps)} MB/s = ${fmtSpread(f[m].toNginx)}x nginx's`,
  ).join('; ');
  return (
    `read floor, GET ${bigLabel} (a bare node:http process, the file read into user space and ` +
    `written to the socket; medians of ${f.rounds} round(s)): ${modes}; Stowage's = ` +
    `${fmtSpread(f.stowageToFloor)}x the stream floor`
  );
}

/** The concurrent read floor over the rounds (`round.floorGetConcurrent`), against that row. */
export function summarizeConcurrentGetFloor(rounds) {
  return summarizeMbpsFloor(rounds, 'floorGetConcurrent', 'getConcurrent');
}

export function renderConcurrentGetFloor(f, concLabel, workers) {
  return (
    `read floor, GET ${concLabel} at once (${workers} bare node:http processes, each file read ` +
    `into user space and written to the socket, loop way; medians of ${f.rounds} round(s)): ` +
    `${fmtNum(f.mbps)} MB/s = ${fmtSpread(f.toNginx)}x nginx's; Stowage's = ` +
    `${fmtSpread(f.stowageToFloor)}x the floor`
  );
}
