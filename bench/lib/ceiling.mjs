// The scale-out stack's ceiling (`--stack pg-s3`, issue 18): what the bench's S3 server (s3rver)
// and PostgreSQL do for a client that talks to them directly, with no Stowage in between.
// Stowage's 1 GiB PUT and GET on that stack are quoted as ratios to it.
//
// - PUT: the S3PartWriter Stowage's S3BlobStore writes with (from the build: 8 MiB parts, 2 in
//   flight while the next fills, checksums only when required), fed from the input file in 1 MiB
//   reads. No SHA-256 (Stowage hashes in the same pass): this is the transfer alone.
// - GET: GetObject of that object, its body read to the end (byte count checked).
// - GET 4 KiB: GetObject of a 4 KiB object in a loop on `concurrency` connections.
// - PostgreSQL: `SELECT 1` one at a time (latency) and on `concurrency` connections (queries/s).
//
// The client runs in a worker thread of its own, as s3rver does (s3rver-thread.mjs): neither
// shares the bench's main thread (Stowage's processes do not share s3rver's either).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ROOT, log } from './util.mjs';

/**
 * Runs the ceiling in a worker thread. `s3`: { endpoint, bucket, credentials, region };
 * `pgUrl`; `file`, `size`: the big input; `seconds`: duration of the two loops.
 */
export function measureCeiling(opts) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { ceiling: opts } });
    w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m.result)));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`ceiling thread exited ${code}`)));
  });
}

/**
 * One round's ceiling on `stack` (stack.mjs, with s3) in a new bucket, logged; { error } when
 * it failed. `opts`: file, size, label (of the size), seconds, concurrency, smallBytes.
 */
export async function ceilingRound(stack, { label, ...opts }) {
  try {
    const c = await measureCeiling({
      ...opts,
      s3: { ...stack.s3, bucket: await stack.newBucket() },
      pgUrl: stack.pgUrl,
    });
    log(
      `ceiling: S3 PUT ${label} ${c.putBig.mbps} MB/s, GET ${c.getBig.mbps} MB/s, GET 4 KiB ` +
        `${c.getSmall.okRps} req/s (${opts.concurrency} at once); PostgreSQL SELECT 1 p50 ` +
        `${c.pg.p50Ms} ms, ${c.pg.qps} queries/s (${opts.concurrency} connections)`,
    );
    return c;
  } catch (err) {
    log(`ceiling: ERROR ${err.message}`);
    return { error: err.message };
  }
}

const round2 = (x) => Math.round(x * 100) / 100;
const MiB = 1024 * 1024;

function percentiles(ms) {
  const v = [...ms].sort((a, b) => a - b);
  const at = (q) =>
    v.length ? round2(v[Math.min(v.length - 1, Math.floor((v.length * q) / 100))]) : null;
  return { p50: at(50), p99: at(99) };
}

async function run({ s3, pgUrl, file, size, seconds, concurrency, smallBytes }) {
  const { S3Client, GetObjectCommand, PutObjectCommand, DeleteObjectCommand } =
    await import('@aws-sdk/client-s3');
  const { S3PartWriter } = await import(
    pathToFileURL(path.join(ROOT, 'dist/src/storage/s3-part-writer.js')).href
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { httpAgent: agent },
  });
  const Bucket = s3.bucket;
  const out = {};
  try {
    // 1 GiB PUT, as S3BlobStore.put streams it
    const Key = 'ceiling/big.bin';
    let t0 = performance.now();
    const writer = new S3PartWriter({
      client,
      bucket: Bucket,
      key: Key,
      partSize: 8 * MiB,
      queueSize: 2,
      checksums: 'when_required',
    });
    try {
      const rs = fs.createReadStream(file, { highWaterMark: MiB, end: size - 1 });
      for await (const chunk of rs) await writer.write(chunk);
      await writer.end();
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
    let secs = (performance.now() - t0) / 1000;
    out.putBig = { mbps: Math.round(size / secs / 1e6), seconds: round2(secs) };

    // 1 GiB GET
    t0 = performance.now();
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    let bytes = 0;
    for await (const chunk of got.Body) bytes += chunk.length;
    secs = (performance.now() - t0) / 1000;
    if (bytes !== size) throw new Error(`S3 GET: received ${bytes} bytes, expected ${size}`);
    out.getBig = { mbps: Math.round(size / secs / 1e6), seconds: round2(secs) };
    await client.send(new DeleteObjectCommand({ Bucket, Key }));

    // 4 KiB GET loop on `concurrency` connections
    const small = 'ceiling/small.bin';
    await client.send(
      new PutObjectCommand({ Bucket, Key: small, Body: Buffer.alloc(smallBytes, 7) }),
    );
    const getSmall = async () => {
      const r = await client.send(new GetObjectCommand({ Bucket, Key: small }));
      const body = await r.Body.transformToByteArray();
      if (body.length !== smallBytes) throw new Error(`4 KiB GET: ${body.length} bytes`);
    };
    await getSmall(); // credentials and connection set up, untimed
    out.getSmall = await loop(concurrency, seconds, getSmall);
    await client.send(new DeleteObjectCommand({ Bucket, Key: small }));
  } finally {
    client.destroy();
    agent.destroy();
  }

  // PostgreSQL round trips
  const { default: pg } = await import('pg');
  const clients = [];
  try {
    for (let i = 0; i < concurrency; i++) {
      const c = new pg.Client({ connectionString: pgUrl });
      c.on('error', () => {});
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.connect()));
    const one = clients[0];
    for (let i = 0; i < 100; i++) await one.query('SELECT 1'); // warm-up
    const lat = [];
    const until = performance.now() + 2000;
    while (performance.now() < until) {
      const t = performance.now();
      await one.query('SELECT 1');
      lat.push(performance.now() - t);
    }
    const single = percentiles(lat);
    // each loop on its own connection
    const many = await loop(concurrency, seconds, (i) => clients[i].query('SELECT 1'));
    out.pg = {
      p50Ms: single.p50,
      p99Ms: single.p99,
      serialQps: Math.round(lat.length / 2),
      qps: many.okRps,
      concurrentP50Ms: many.latencyMs.p50,
      concurrentP99Ms: many.latencyMs.p99,
      errors: many.errors,
      connections: concurrency,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
  return out;
}

/** `concurrency` loops calling fn(i) for `seconds`; rate and latency of the successful calls. */
async function loop(concurrency, seconds, fn) {
  const lat = [];
  let errors = 0;
  let firstError = null;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await fn(i);
          lat.push(performance.now() - t);
        } catch (err) {
          errors++;
          firstError ??= err.message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return {
    okRps: Math.round(lat.length / elapsed),
    requests: lat.length,
    errors,
    firstError,
    latencyMs: percentiles(lat),
    concurrency,
    seconds: round2(elapsed),
  };
}

if (!isMainThread && workerData?.ceiling) {
  run(workerData.ceiling).then(
    (result) => parentPort.postMessage({ result }),
    (err) => parentPort.postMessage({ error: err.stack || err.message }),
  );
}
