// Thumbnails: GET /api/file/{id}/thumbnail (256x256) of a 12-megapixel JPEG, on Stowage alone
// (nginx has nothing to compare with). Cold: the first request for a content, which decodes the
// JPEG and stores the PNG; measured one at a time (latency) and with CONCURRENT requests at once
// (each on a different copy of the photo: same pixels, different bytes, so nothing is shared).
// Cached: the same thumbnail again and again on keep-alive connections, for CACHED_SECONDS.

import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { request } from './clients.mjs';
import { HOST, MiB, log, round1, sleep } from './util.mjs';

const WIDTH = 4000;
const HEIGHT = 3000; // 12 MP
const COLD_SEQUENTIAL = 6;
const CONCURRENT = Math.max(2, os.availableParallelism());
const CACHED_CONNECTIONS = 8;
const CACHED_SECONDS = 2;
const QUERY = '?width=256&height=256';

/** A 12 MP JPEG with noise (a realistic decode, unlike a flat colour). */
async function photo() {
  return sharp({
    create: {
      width: WIDTH,
      height: HEIGHT,
      channels: 3,
      background: '#6a8fb0',
      noise: { type: 'gaussian', mean: 120, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Same pixels, different bytes (decoders ignore what follows the end-of-image marker). */
const variant = (jpeg) => Buffer.concat([jpeg, crypto.randomBytes(16)]);

async function upload(port, body) {
  const res = await request(port, 'PUT', '/api/file/photo.jpg', body, 120_000);
  if (res.status !== 201) throw new Error(`PUT photo.jpg: HTTP ${res.status}`);
  return JSON.parse(res.body.toString('utf8')).id;
}

async function thumbnail(port, id, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: HOST, port, path: `/api/file/${id}/thumbnail${QUERY}`, agent },
      (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`thumbnail: HTTP ${res.statusCode}`));
          else if (!String(res.headers.etag).startsWith('"t1-'))
            reject(new Error(`thumbnail: got an icon (${res.headers.etag}), not a thumbnail`));
          else resolve(bytes);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Runs the scenario against a started Stowage (`server.port`); returns the figures. */
export async function measureThumbnails(server) {
  const jpeg = await photo();
  log(`thumbnails: 12 MP JPEG of ${round1(jpeg.length / MiB)} MiB, 256x256`);
  const ids = [];
  for (let i = 0; i < COLD_SEQUENTIAL + CONCURRENT + 1; i++) {
    ids.push(await upload(server.port, variant(jpeg)));
  }
  await sleep(500); // let the background metadata extraction of the uploads finish

  const agent = new http.Agent({ keepAlive: true, maxSockets: CACHED_CONNECTIONS });
  try {
    // cold, one at a time
    const seq = ids.slice(0, COLD_SEQUENTIAL);
    let t0 = performance.now();
    let pngBytes = 0;
    for (const id of seq) pngBytes = await thumbnail(server.port, id, agent);
    const coldMs = (performance.now() - t0) / seq.length;

    // cold, CONCURRENT at once
    const par = ids.slice(COLD_SEQUENTIAL, COLD_SEQUENTIAL + CONCURRENT);
    t0 = performance.now();
    await Promise.all(par.map((id) => thumbnail(server.port, id, agent)));
    const coldParallelPerSec = par.length / ((performance.now() - t0) / 1000);

    // cached: the first one again, repeatedly
    const hot = ids[0];
    await thumbnail(server.port, hot, agent);
    let done = 0;
    const deadline = performance.now() + CACHED_SECONDS * 1000;
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: CACHED_CONNECTIONS }, async () => {
        while (performance.now() < deadline) {
          await thumbnail(server.port, hot, agent);
          done++;
        }
      }),
    );
    const cachedPerSec = done / ((performance.now() - t0) / 1000);
    const result = {
      imageBytes: jpeg.length,
      megapixels: (WIDTH * HEIGHT) / 1e6,
      box: '256x256',
      pngBytes,
      coldMs: round1(coldMs),
      coldPerSec: round1(1000 / coldMs),
      coldParallel: CONCURRENT,
      coldParallelPerSec: round1(coldParallelPerSec),
      cachedConnections: CACHED_CONNECTIONS,
      cachedPerSec: Math.round(cachedPerSec),
    };
    log(`thumbnails: ${renderThumbnails(result)}`);
    return result;
  } finally {
    agent.destroy();
  }
}

export function renderThumbnails(r) {
  if (!r) return 'thumbnails: not measured';
  if (r.error) return `thumbnails: ERROR ${r.error}`;
  return (
    `thumbnails ${r.box} of a ${r.megapixels} MP JPEG (${round1(r.imageBytes / MiB)} MiB): ` +
    `cold ${r.coldPerSec}/s one at a time (${r.coldMs} ms each), ` +
    `${r.coldParallelPerSec}/s with ${r.coldParallel} at once; ` +
    `cached ${r.cachedPerSec.toLocaleString('en-US')}/s (${r.cachedConnections} connections)`
  );
}
