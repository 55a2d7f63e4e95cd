// The web UI on Stowage alone: how fast the viewer page's HTML is served (the issue's goal is
// under 20 ms), the gzipped JS and CSS each page loads, and (with chromium) a big upload from
// the upload page with the browser's memory sampled throughout (it must not grow with the file:
// the page streams the File, it never reads it into memory).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CONNECTIONS, request, runWrk } from './clients.mjs';
import { RssSampler, descendants } from './memory.mjs';
import { HOST, KiB, MiB, log, median, round1, round2 } from './util.mjs';

const SEQUENTIAL = 300;
const PAGES = { home: '/', viewer: null, account: '/login', about: '/about' };
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';

function get(port, urlPath, agent, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: urlPath, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Viewer latency and page weights; `wrk` is the path of wrk (or null to skip the load test). */
export async function measureWebPages(server, wrk) {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  const up = await request(server.port, 'PUT', '/api/file/pixel.png', png);
  if (up.status !== 201) throw new Error(`PUT pixel.png: HTTP ${up.status}`);
  const id = JSON.parse(up.body.toString('utf8')).id;
  const viewerPath = `/u/${id}`;

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times = [];
  let htmlBytes = 0;
  try {
    for (let i = 0; i < 20; i++) await get(server.port, viewerPath, agent); // warm-up
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now();
      const r = await get(server.port, viewerPath, agent);
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`GET ${viewerPath}: HTTP ${r.status}`);
      htmlBytes = r.body.length;
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  const result = {
    viewerHtmlBytes: htmlBytes,
    sequential: SEQUENTIAL,
    p50Ms: round2(median(times)),
    p99Ms: round2(times[Math.floor(times.length * 0.99)]),
    maxMs: round2(times[times.length - 1]),
  };
  if (wrk) {
    const w = await runWrk(wrk, server.port, viewerPath, 5);
    result.load = {
      connections: CONNECTIONS,
      rps: Math.round(w.okRps ?? w.rps),
      p50Ms: w.latencyMs?.p50,
      p99Ms: w.latencyMs?.p99,
    };
  }
  result.pages = await pageWeights(server.port, { ...PAGES, viewer: viewerPath });
  log(`web: ${renderWeb(result)}`);
  return result;
}

/** Each page's JS and CSS as served gzipped (what a first visit downloads). */
async function pageWeights(port, pages) {
  const out = {};
  for (const [name, urlPath] of Object.entries(pages)) {
    const html = (await get(port, urlPath)).body.toString('utf8');
    const refs = [
      ...html.matchAll(
        /<(?:script type="module" src|link rel="(?:stylesheet|modulepreload)" href)="(\/res\/[^"]+)"/g,
      ),
    ].map((m) => m[1]);
    let js = 0;
    let css = 0;
    for (const ref of new Set(refs)) {
      const r = await get(port, ref, undefined, { 'Accept-Encoding': 'gzip' });
      if (ref.endsWith('.css')) css += r.body.length;
      else js += r.body.length;
    }
    out[name] = {
      jsGzipKiB: round1(js / KiB),
      cssGzipKiB: round1(css / KiB),
      htmlBytes: Buffer.byteLength(html),
    };
  }
  return out;
}

/** The chromium that playwright started: a child of this process named chrom*. */
function chromiumRoot() {
  for (const pid of descendants(process.pid)) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8');
      const ppid = Number(
        fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1],
      );
      if (comm.startsWith('chrom') && ppid === process.pid) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

export function renderWeb(r) {
  if (!r) return 'web: not measured';
  if (r.error) return `web: ERROR ${r.error}`;
  const load = r.load
    ? `; ${r.load.rps.toLocaleString('en-US')} pages/s on ${r.load.connections} connections (p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms)`
    : '';
  const pages = Object.entries(r.pages)
    .map(([n, p]) => `${n} JS ${p.jsGzipKiB} KiB + CSS ${p.cssGzipKiB} KiB`)
    .join(', ');
  const upload = r.upload
    ? r.upload.error
      ? `; browser upload: ERROR ${r.upload.error}`
      : `; browser upload of ${r.upload.gib} GiB: ${r.upload.mbps} MB/s, browser's largest process ${r.upload.browserBeforeMiB} MiB before, ${r.upload.browserPeakMiB} MiB peak`
    : '';
  return (
    `viewer page (${(r.viewerHtmlBytes / KiB).toFixed(1)} KiB of HTML) one at a time: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${load}; ` +
    `gzipped assets per page: ${pages}${upload}`
  );
}

/**
 * Upload a sparse file of `gib` GiB through the upload page in chromium (playwright-core), and
 * sample the browser's processes' memory during it.
 */
export async function measureBrowserUpload(server, dir, gib) {
  if (!fs.existsSync(CHROMIUM)) return { error: `no chromium at ${CHROMIUM}` };
  const { chromium } = await import('playwright-core');
  const file = path.join(dir, 'big.bin');
  const size = gib * 1024 * MiB;
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
  // launch(), not launchServer() + connect(): a connected client would copy the file to the
  // "remote" browser through the websocket first.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://${HOST}:${server.port}/`);
    const root = chromiumRoot();
    if (!root) throw new Error('could not find the chromium process');
    const sampler = new RssSampler(root);
    sampler.refresh();
    const before = sampler.stop().peakProcessMiB;
    sampler.start();
    const t0 = performance.now();
    await page.locator('input[type=file]').first().setInputFiles(file);
    await page.locator('a[href*="/u/"]').first().waitFor({ timeout: 600_000 });
    const seconds = (performance.now() - t0) / 1000;
    const mem = sampler.stop();
    return {
      gib,
      seconds: round1(seconds),
      mbps: Math.round(size / 1e6 / seconds),
      browserBeforeMiB: before,
      browserPeakMiB: mem.peakProcessMiB,
      browserPeakSumMiB: mem.peakMiB,
    };
  } finally {
    await browser.close();
    fs.rmSync(file, { force: true });
  }
}
