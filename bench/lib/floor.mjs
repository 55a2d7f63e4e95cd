// The node:http floor: what Node itself reaches on this machine for the 4 KiB rows, with no
// framework, no storage and no checks. A cluster of STOWAGE_WORKERS node:http workers answers
// every GET with the same 4 KiB from memory (headers like Stowage's) and every PUT with a 201 and
// a small JSON body once the body is read. Its ratio to nginx bounds what Stowage (a Node server)
// can reach here: a row whose target is above it is out of reach on this machine whatever
// Stowage does.

import { spawn } from 'node:child_process';
import { freePort } from './servers.mjs';
import { HOST, log, track, untrack } from './util.mjs';

const SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const [port, workers] = process.argv.slice(1).map(Number);
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log('ready'); });
} else {
  const body = Buffer.alloc(4096, 7);
  http.createServer((req, res) => {
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
}
`;

/** Run wrk's GET and PUT rows against the floor server; { getRps, putRps } (2xx per second). */
export async function measureFloor({ runWrk, wrk, workers, seconds, warmupSeconds, putArgs }) {
  const port = await freePort();
  const proc = spawn(process.execPath, ['-e', SERVER, String(port), String(workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group: the workers go with it
  });
  track(proc);
  try {
    await new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.on('exit', (code) => reject(new Error(`floor server exited (${code})`)));
      proc.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    });
    if (warmupSeconds) await runWrk(wrk, port, '/f', warmupSeconds);
    const get = await runWrk(wrk, port, '/f', seconds);
    if (warmupSeconds) await runWrk(wrk, port, '/', warmupSeconds, putArgs);
    const put = await runWrk(wrk, port, '/', seconds, putArgs);
    log(`node:http floor: GET 4 KiB ${get.okRps} req/s, PUT 4 KiB ${put.okRps} req/s`);
    return { getRps: get.okRps, putRps: put.okRps };
  } finally {
    proc.removeAllListeners('exit');
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    untrack(proc);
  }
}
