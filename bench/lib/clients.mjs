// HTTP clients: small in-memory requests, the big-file PUT streamed from disk (and its cached
// random input file), the raw-socket GET client for big downloads, and wrk runs with parsing.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { BENCH_DIR, HOST, KiB, MiB, ROOT, TMP, log, round2, track, untrack } from './util.mjs';

const PUT_LUA = path.join(BENCH_DIR, 'put.lua');

/** Client read/write chunk for the big transfers (spec: 64 KiB chunks are ~3x slower here). */
export const CHUNK = MiB;
export const CONNECTIONS = 64;
export const WRK_THREADS = 2;
const BIG_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// small requests

/** A small request with an in-memory body; resolves with status, headers and the body. */
export function request(port, method, urlPath, body = null, timeoutMs = 30_000) {
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

export function describe(res) {
  return `HTTP ${res.status} ${res.body.toString('utf8', 0, Math.min(res.body.length, 300))}`;
}

// ---------------------------------------------------------------------------------------------
// the input file

/** A file of `size` random bytes in bench/tmp/, created once and reused by later runs. */
export function inputFile(size, label) {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, `input-${size / MiB}MiB.bin`);
  let existing = -1;
  try {
    existing = fs.statSync(file).size;
  } catch {
    // missing
  }
  if (existing === size) return file;
  log(`creating ${path.relative(ROOT, file)} (${label} of random data, cached for reuse)`);
  const part = `${file}.part`;
  const fd = fs.openSync(part, 'w');
  const buf = Buffer.allocUnsafe(8 * MiB);
  for (let done = 0; done < size; done += buf.length) {
    crypto.randomFillSync(buf);
    fs.writeSync(fd, buf, 0, Math.min(buf.length, size - done));
  }
  fs.closeSync(fd);
  fs.renameSync(part, file);
  return file;
}

/** Read the whole file so it comes from the page cache (the VM evicts idle pages in ~30 s). */
export function reread(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * MiB);
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// big transfers

/**
 * Stream a file from disk as a PUT body; the clock stops when the response has arrived.
 * `headers`: extra request headers (Authorization for the filesystem's PUT). `offset`: start the
 * body at this byte of the file and wrap around to its start (the same bytes from the page cache,
 * distinct contents for concurrent uploads: no deduplication).
 */
export function streamPut(port, urlPath, file, size, headers = {}, offset = 0) {
  return streamUpload(port, {
    method: 'PUT',
    urlPath,
    headers: { ...headers, 'Content-Type': 'application/octet-stream' },
    length: size,
    body: () => fileBody(file, size, offset),
  });
}

const FORM_BOUNDARY = '------------------------stowagebench7d3f0a91c2';

/**
 * POST the file as multipart/form-data with one part, `field` (what `curl -F file=@big.bin`
 * sends, Content-Length included), streamed from disk; the clock stops at the response.
 */
export function streamMultipart(port, urlPath, file, size, field = 'file') {
  const head = Buffer.from(
    `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; ` +
      `filename="${path.basename(file)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tailPart = Buffer.from(`\r\n--${FORM_BOUNDARY}--\r\n`);
  return streamUpload(port, {
    method: 'POST',
    urlPath,
    headers: { 'Content-Type': `multipart/form-data; boundary=${FORM_BOUNDARY}` },
    length: head.length + size + tailPart.length,
    body: () =>
      Readable.from(
        (async function* () {
          yield head;
          yield* fileBody(file, size, 0);
          yield tailPart;
        })(),
        { objectMode: false, highWaterMark: CHUNK },
      ),
  });
}

/** `size` bytes of `file` in CHUNK reads, from `offset` to the end, then from its start. */
export function fileBody(file, size, offset) {
  if (!offset) return fs.createReadStream(file, { highWaterMark: CHUNK, end: size - 1 });
  return Readable.from(
    (async function* () {
      yield* fs.createReadStream(file, { highWaterMark: CHUNK, start: offset, end: size - 1 });
      yield* fs.createReadStream(file, { highWaterMark: CHUNK, start: 0, end: offset - 1 });
    })(),
    { objectMode: false, highWaterMark: CHUNK },
  );
}

/** A streamed request body (`body()` makes the stream), resolved with the response and time. */
function streamUpload(port, { method, urlPath, headers, length, body }) {
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
      method,
      path: urlPath,
      agent: false,
      headers: { ...headers, 'Content-Length': length },
    });
    const timer = setTimeout(() => {
      req.destroy();
      settle(new Error(`${method} ${urlPath}: no response after ${BIG_TIMEOUT_MS / 1000} s`));
    }, BIG_TIMEOUT_MS);
    req.on('error', (err) => settle(new Error(`${method} ${urlPath}: ${err.message}`)));
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (err) => settle(err));
      res.on('end', () => {
        const seconds = (performance.now() - t0) / 1000;
        settle(null, { status: res.statusCode, body: Buffer.concat(chunks), seconds });
      });
    });
    const rs = body();
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
 * Node's default 64 KiB reads cannot keep up with nginx's sendfile on this machine). The
 * response's Location header, if any, comes back as `location`.
 */
export function rawGet(port, urlPath, timeoutMs = BIG_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let header = Buffer.alloc(0);
    let inBody = false;
    let status = 0;
    let length = -1;
    let chunked = null;
    let location = null;
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
      else resolve({ status, bytes, seconds, reads, chunked: Boolean(chunked), location });
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
          if (name === 'location') location = value;
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

/**
 * GET `urlPath` on `port`, which must answer with a redirect to HOST (as s3rver's presigned URLs
 * are here): { port, path } of its target, `status` of the redirect.
 */
export async function redirectTarget(port, urlPath) {
  const first = await rawGet(port, urlPath);
  if (first.status < 300 || first.status > 399 || !first.location) {
    throw new Error(`GET ${urlPath}: expected a redirect, got HTTP ${first.status}`);
  }
  const target = new URL(first.location);
  if (target.protocol !== 'http:' || target.hostname !== HOST) {
    throw new Error(`GET ${urlPath}: redirected off this machine (${target.origin})`);
  }
  return {
    port: Number(target.port),
    path: `${target.pathname}${target.search}`,
    status: first.status,
  };
}

/**
 * The redirect of `urlPath` on `port` followed with rawGet, timed from the first request to the
 * target's last byte; `redirectMs`: the redirect's share.
 */
export async function rawGetRedirected(port, urlPath) {
  const t0 = performance.now();
  const target = await redirectTarget(port, urlPath);
  const redirectMs = round2(performance.now() - t0);
  const res = await rawGet(target.port, target.path);
  return {
    ...res,
    seconds: (performance.now() - t0) / 1000,
    redirectStatus: target.status,
    redirectMs,
  };
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

export async function runWrk(wrkBin, port, urlPath, seconds, luaArgs = null) {
  const url = `http://${HOST}:${port}${urlPath}`;
  const args = [`-t${WRK_THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  args.push('--timeout', '5s');
  if (luaArgs) args.push('-s', PUT_LUA, url, '--', ...luaArgs);
  else args.push(url);
  const proc = spawn(wrkBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(proc);
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const code = await new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', resolve);
  });
  untrack(proc);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  return { ...parseWrk(out), command: `wrk ${args.join(' ')}`, output: out.trim() };
}
