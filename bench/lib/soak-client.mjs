// The soak's client side: contents that can be regenerated at any offset (so every downloaded
// byte, full or ranged, is checked without keeping a copy), and the HTTP operations.

import crypto from 'node:crypto';
import http from 'node:http';
import { HOST, MiB } from './util.mjs';

const CHUNK = MiB;
const TIMEOUT_MS = 300_000;

/**
 * The bytes of content `seed` from `offset`, `length` bytes, as 1 MiB chunks: the AES-128-CTR
 * keystream of a key derived from the seed, which can start at any 16-byte block.
 */
export function* contentChunks(seed, offset, length) {
  const key = crypto.createHash('sha256').update(`soak-${seed}`).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, iv);
  let skip = offset % 16;
  let left = length;
  const zeros = Buffer.alloc(CHUNK + 16);
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    let out = cipher.update(zeros.subarray(0, n + skip));
    if (skip) out = out.subarray(skip);
    skip = 0;
    left -= n;
    yield out;
  }
}

export function contentSha256(seed, size) {
  const h = crypto.createHash('sha256');
  for (const c of contentChunks(seed, 0, size)) h.update(c);
  return h.digest('hex');
}

export class HttpError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/**
 * One request on the client's keep-alive agent. `body`: a generator of chunks (written with
 * backpressure) or a buffer. `sink(chunk)` receives the response body (else it is collected).
 */
export function call(agent, port, method, path, { headers = {}, body = null, sink = null } = {}) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(
        err instanceof HttpError
          ? err
          : new HttpError(`socket ${err.code ?? err.message}`, err.message),
      );
    };
    const req = http.request({ host: HOST, port, method, path, headers, agent });
    req.setTimeout(TIMEOUT_MS, () => fail(new HttpError('timeout', `${method} ${path}: timeout`)));
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        if (sink) sink(c);
        else chunks.push(c);
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new HttpError('socket aborted', `${method} ${path}: aborted`)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode,
          headers: res.headers,
          bytes,
          body: Buffer.concat(chunks),
        });
      });
    });
    if (body === null) return void req.end();
    if (Buffer.isBuffer(body)) return void req.end(body);
    const it = body;
    const pump = () => {
      for (;;) {
        const { value, done } = it.next();
        if (done) return void req.end();
        if (!req.write(value)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

/** Compares a response body with the expected content as it arrives. */
export class Checker {
  constructor(seed, offset, length) {
    this.expected = contentChunks(seed, offset, length);
    this.pending = Buffer.alloc(0);
    this.seen = 0;
    this.wrong = 0;
    this.length = length;
  }
  push(chunk) {
    let c = chunk;
    while (c.length > 0) {
      if (this.pending.length === 0) {
        const { value, done } = this.expected.next();
        if (done) {
          this.wrong += c.length; // more bytes than expected
          this.seen += c.length;
          return;
        }
        this.pending = value;
      }
      const n = Math.min(c.length, this.pending.length);
      if (!c.subarray(0, n).equals(this.pending.subarray(0, n))) {
        for (let i = 0; i < n; i++) if (c[i] !== this.pending[i]) this.wrong++;
      }
      this.seen += n;
      c = c.subarray(n);
      this.pending = this.pending.subarray(n);
    }
  }
  /** Wrong bytes, counting missing ones. */
  get errors() {
    return this.wrong + Math.max(0, this.length - this.seen);
  }
}
