// Virus scanning figures (issue 15): clamd's throughput on clean data, and what a 1 GiB upload
// costs with scanning on. Run: npx tsx bench/scan.ts (a real clamd with the test signatures only:
// a full signature database scans slower). BENCH_SCAN_MIB (200) and BENCH_SCAN_UPLOAD_MIB (1024).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ClamdScanner } from '../src/scan/clamd.js';
import { startClamd } from '../test/clamd.js';

const MiB = 1024 * 1024;
const scanMiB = Number(process.env.BENCH_SCAN_MIB ?? 200);
const uploadMiB = Number(process.env.BENCH_SCAN_UPLOAD_MIB ?? 1024);

/** CPU seconds from /proc/<pid>/stat (utime + stime are fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number): number {
  const rest = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

async function randomFile(file: string, mib: number): Promise<void> {
  // pipeline: a failing write (a full disk) rejects instead of an unhandled 'error' event.
  await pipeline(async function* () {
    for (let i = 0; i < mib; i++) yield randomBytes(MiB);
  }, fs.createWriteStream(file));
}

function put(url: string, file: string): Promise<number> {
  const size = fs.statSync(file).size;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/file/big.bin`, {
      method: 'PUT',
      headers: { 'content-length': String(size) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 201
          ? resolve(performance.now() - t0)
          : reject(new Error(`PUT ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: MiB }).on('error', reject).pipe(req);
  });
}

const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'stowage-bench-scan-'));
const clamd = await startClamd({
  streamMax: '4000M',
  extraConfig: ['MaxFileSize 2000M', 'MaxScanSize 4000M', 'AlertExceedsMax yes'],
});
const clamdPid = Number((await fsp.readFile(path.join(clamd.dir, 'clamd.pid'), 'utf8')).trim());
try {
  // 1. Throughput of clean (random) data through clamd, from a file on disk (page cache warm).
  const sample = path.join(dir, 'sample.bin');
  await randomFile(sample, scanMiB);
  const scanner = new ClamdScanner({ unix: clamd.socket }, { timeoutMs: 600_000 });
  const runs: number[] = [];
  let clamdCpu = 0;
  for (let i = 0; i < 3; i++) {
    const c0 = cpuSeconds(clamdPid);
    const t0 = performance.now();
    const v = await scanner.scan(fs.createReadStream(sample, { highWaterMark: MiB }));
    const ms = performance.now() - t0;
    clamdCpu = cpuSeconds(clamdPid) - c0;
    if (v.status !== 'clean') throw new Error(`expected clean: ${JSON.stringify(v)}`);
    runs.push((scanMiB * MiB) / 1e6 / (ms / 1000));
  }
  runs.sort((a, b) => a - b);
  console.log(
    `clamd INSTREAM, ${scanMiB} MiB random: ${runs.map((r) => r.toFixed(0)).join(' / ')} MB/s (median ${runs[1]!.toFixed(0)}), clamd CPU ${clamdCpu.toFixed(1)} s per scan`,
  );

  // 2. A 1 GiB upload with scanning off and on: the upload's time, then the scan's.
  const big = path.join(dir, 'upload.bin');
  await randomFile(big, uploadMiB);
  for (const scanning of [false, true]) {
    const data = await fsp.mkdtemp(path.join(dir, 'data-'));
    const app = await buildApp(
      loadConfig(
        {
          host: '127.0.0.1',
          port: 0,
          dataDir: data,
          logLevel: 'silent',
          maxFileSize: '8GB',
          ...(scanning ? { clamav: clamd.address } : {}),
        },
        {},
      ),
    );
    const url = await app.listen();
    const c0 = { node: process.cpuUsage(), clamd: cpuSeconds(clamdPid) };
    const upMs = await put(url, big);
    const upCpu = process.cpuUsage(c0.node);
    const c1 = { node: process.cpuUsage(), clamd: cpuSeconds(clamdPid) };
    let scanMs = 0;
    if (scanning) {
      const t0 = performance.now();
      await app.runtime.core.scanning!.idle();
      scanMs = performance.now() - t0;
    }
    const scanCpu = process.cpuUsage(c1.node);
    const row = await app.runtime.db.selectFrom('blobs').select(['scan_status']).executeTakeFirst();
    console.log(
      `PUT ${uploadMiB} MiB, scanning ${scanning ? 'on ' : 'off'}: upload ${(upMs / 1000).toFixed(2)} s (${((uploadMiB * MiB) / 1e6 / (upMs / 1000)).toFixed(0)} MB/s)` +
        (scanning
          ? `; scan done ${(scanMs / 1000).toFixed(2)} s after the response (${row?.scan_status}), clamd CPU ${(cpuSeconds(clamdPid) - c1.clamd).toFixed(1)} s, Stowage CPU during the scan ${((scanCpu.user + scanCpu.system) / 1e6).toFixed(1)} s`
          : '') +
        `; server+client CPU for the upload ${((upCpu.user + upCpu.system) / 1e6).toFixed(1)} s`,
    );
    await app.close();
    await fsp.rm(data, { recursive: true, force: true });
  }
} finally {
  await clamd.close();
  await fsp.rm(dir, { recursive: true, force: true });
}
