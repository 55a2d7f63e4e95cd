// The filesystem API (/api/filesystem, issue 16) on Stowage alone (nginx has no equivalent):
// an account made through the API, `?stat` of a directory with 10,000 children (timed one
// request at a time: the whole answer read), and recursive deletes of 10,000 nodes in one
// request (a nested tree, then the flat directory). Files have distinct contents, so every
// delete releases 10,000 blobs. Also the account helper the big filesystem PUT row uses.

import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { treeCpuMs } from './memory.mjs';
import { HOST, KiB, log, median, round1, round2 } from './util.mjs';

/** Children of the stat's directory: pixeldrain's limit per directory. */
export const FS_CHILDREN = 10_000;
/** The nested tree deleted in one request: DIRS directories of FILES_PER_DIR files. */
const DIRS = 100;
const FILES_PER_DIR = 99;
const CONCURRENCY = 16;

/** One request on a keep-alive agent; resolves with status and body. */
export function fsCall(agent, port, method, urlPath, { auth, body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (auth) h.Authorization = auth;
    if (body) h['Content-Length'] = body.length;
    const req = http.request({ host: HOST, port, method, path: urlPath, headers: h, agent });
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.end(body || undefined);
  });
}

function expect(res, status, what) {
  if (res.status !== status) {
    throw new Error(`${what}: HTTP ${res.status} ${res.body.toString('utf8', 0, 300)}`);
  }
  return res;
}

/** Registers an account and logs in: the Basic header of its API key. */
export async function fsAccount(port, name = 'bench') {
  const agent = new http.Agent({ keepAlive: true });
  try {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const body = Buffer.from(`username=${name}&password=bench-password-1`);
    expect(
      await fsCall(agent, port, 'POST', '/api/user/register', { body, headers }),
      201,
      'register',
    );
    const res = expect(
      await fsCall(agent, port, 'POST', '/api/user/login', { body, headers }),
      201,
      'login',
    );
    const key = JSON.parse(res.body.toString()).auth_key;
    return 'Basic ' + Buffer.from(`:${key}`).toString('base64');
  } finally {
    agent.destroy();
  }
}

/** Runs `fn(i)` for i in [0, n) with `limit` in flight. */
async function pool(n, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

const api = (p) => `/api/filesystem/me${p}`;

/** Makes a directory and `count` files in it (each `bytes` long, distinct contents). */
async function fillDir(agent, port, auth, dir, count, bytes, name) {
  expect(await fsCall(agent, port, 'POST', api(dir), mkdir(auth)), 201, `mkdir ${dir}`);
  await pool(count, CONCURRENCY, async (i) => {
    const p = `${dir}/${name(i)}`;
    const body = crypto.randomBytes(bytes);
    expect(await fsCall(agent, port, 'PUT', api(p), { auth, body }), 200, `PUT ${p}`);
  });
}

function mkdir(auth) {
  return {
    auth,
    body: Buffer.from('action=mkdir'),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  };
}

async function timed(fn) {
  const t0 = performance.now();
  const out = await fn();
  return { ms: performance.now() - t0, out };
}

const spread = (xs) => ({
  medianMs: round1(median(xs)),
  minMs: round1(Math.min(...xs)),
  maxMs: round1(Math.max(...xs)),
  runs: xs.map(round1),
});

/**
 * The scenario on a started Stowage: `statRepeats` timed stats (after one untimed), then
 * `deleteRounds` nested trees built and deleted, then the flat directory deleted.
 */
export async function measureFilesystem(server, { fileBytes, statRepeats, deleteRounds }) {
  const port = server.port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const auth = await fsAccount(port, 'fsbench');
    const name = (i) => `f${String(i).padStart(5, '0')}.bin`;
    log(`filesystem: ${FS_CHILDREN} files of ${fileBytes} B in /me/flat`);
    const made = await timed(() =>
      fillDir(agent, port, auth, '/flat', FS_CHILDREN, fileBytes, name),
    );
    const createPerSecond = Math.round(FS_CHILDREN / (made.ms / 1000));
    log(`filesystem: made in ${(made.ms / 1000).toFixed(1)} s (${createPerSecond} PUT/s)`);

    const stat = async () => {
      const res = expect(
        await fsCall(agent, port, 'GET', api('/flat?stat'), { auth }),
        200,
        'stat',
      );
      return res.body;
    };
    const first = await stat();
    const children = JSON.parse(first.toString()).children.length;
    if (children !== FS_CHILDREN)
      throw new Error(`stat: ${children} children, expected ${FS_CHILDREN}`);
    const statMs = [];
    const cpu0 = treeCpuMs(server.pid);
    for (let i = 0; i < statRepeats; i++) statMs.push((await timed(stat)).ms);
    const statResult = {
      ...spread(statMs),
      serverCpuMs: round1((treeCpuMs(server.pid) - cpu0) / statRepeats),
      bodyKiB: Math.round(first.length / KiB),
      loadAvg: round2(os.loadavg()[0]),
    };
    log(`filesystem: stat of ${FS_CHILDREN} children ${renderSpread(statResult)}`);

    const treeMs = [];
    const treeCpu = [];
    for (let r = 0; r < deleteRounds; r++) {
      const root = `/tree${r}`;
      expect(await fsCall(agent, port, 'POST', api(root), mkdir(auth)), 201, `mkdir ${root}`);
      for (let d = 0; d < DIRS; d++) {
        await fillDir(agent, port, auth, `${root}/d${d}`, FILES_PER_DIR, fileBytes, name);
      }
      const c0 = treeCpuMs(server.pid);
      const del = await timed(() =>
        fsCall(agent, port, 'DELETE', api(`${root}?recursive=true`), { auth }),
      );
      treeCpu.push(treeCpuMs(server.pid) - c0);
      expect(del.out, 200, `DELETE ${root}`);
      expect(
        await fsCall(agent, port, 'GET', api(`${root}?stat`), { auth }),
        404,
        'stat after delete',
      );
      treeMs.push(del.ms);
      log(
        `filesystem: delete of ${DIRS * (FILES_PER_DIR + 1)} nodes (nested) ${round1(del.ms)} ms`,
      );
    }
    const c0 = treeCpuMs(server.pid);
    const flat = await timed(() =>
      fsCall(agent, port, 'DELETE', api('/flat?recursive=true'), { auth }),
    );
    expect(flat.out, 200, 'DELETE /flat');
    const flatCpu = treeCpuMs(server.pid) - c0;
    log(`filesystem: delete of ${FS_CHILDREN} nodes (flat) ${round1(flat.ms)} ms`);
    return {
      fileBytes,
      createPerSecond,
      stat: statResult,
      deleteTree: {
        nodes: DIRS * (FILES_PER_DIR + 1),
        ...spread(treeMs),
        serverCpuMs: round1(median(treeCpu)),
        loadAvg: round2(os.loadavg()[0]),
      },
      deleteFlat: { nodes: FS_CHILDREN, ms: round2(flat.ms), serverCpuMs: flatCpu },
    };
  } finally {
    agent.destroy();
  }
}

function renderSpread(s) {
  return s.runs.length > 1
    ? `${s.medianMs} ms [${s.minMs}–${s.maxMs}] (median [range] of ${s.runs.length})`
    : `${s.medianMs} ms`;
}

/** The scenario's lines under the table (targets from issue 16). */
export function renderFilesystem(f) {
  if (f.error) return `filesystem: ERROR ${f.error}`;
  const ok = (x, limit) => (x < limit ? 'yes' : 'NO');
  return [
    `filesystem (${f.fileBytes} B files, distinct contents; made at ${f.createPerSecond} PUT/s):`,
    `- ?stat of a directory with ${FS_CHILDREN} children: ${renderSpread(f.stat)}, ` +
      `${f.stat.bodyKiB} KiB, server CPU ${f.stat.serverCpuMs} ms each, load ${f.stat.loadAvg}; ` +
      `target < 100 ms: ${ok(f.stat.medianMs, 100)}`,
    `- recursive DELETE of ${f.deleteTree.nodes} nodes (${DIRS} directories of ${FILES_PER_DIR} files): ` +
      `${renderSpread(f.deleteTree)}, server CPU ${f.deleteTree.serverCpuMs} ms (median), ` +
      `load ${f.deleteTree.loadAvg}; target < 2000 ms: ${ok(f.deleteTree.medianMs, 2000)}`,
    `- recursive DELETE of the directory of ${f.deleteFlat.nodes} files: ${f.deleteFlat.ms} ms, ` +
      `server CPU ${f.deleteFlat.serverCpuMs} ms; ` +
      `target < 2000 ms: ${ok(f.deleteFlat.ms, 2000)}`,
  ].join('\n');
}
