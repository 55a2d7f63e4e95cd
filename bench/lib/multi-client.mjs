// A wrk-like GET load from many client addresses: each keep-alive connection binds its own
// loopback source address (127.0.0.2, 127.0.0.3, ...; all of 127/8 is the loopback interface on
// Linux), so per-address state in the server (connection caps, per-IP limits, once-per-client
// marks) sees 64 clients instead of one. wrk cannot bind source addresses, hence this client:
// worker threads (as many as wrk's -t) with raw sockets and a minimal HTTP/1.1 response parser
// (Content-Length bodies only). Returns the same shape as runWrk (okRps, non2xx, latencyMs...).

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * GET `urlPath` on host:port for `seconds` over `connections` keep-alive connections spread over
 * `threads` threads, connection i bound to 127.0.0.(firstAddress + i).
 */
export async function runMultiClient({
  host = '127.0.0.1',
  port,
  urlPath,
  seconds,
  connections = 64,
  threads = 2,
  firstAddress = 2,
}) {
  if (firstAddress + connections > 255) throw new Error('too many connections for 127.0.0.x');
  const per = Math.ceil(connections / threads);
  const jobs = [];
  for (let t = 0; t < threads; t++) {
    const from = t * per;
    const count = Math.min(per, connections - from);
    if (count <= 0) break;
    const addresses = Array.from({ length: count }, (_, i) => `127.0.0.${firstAddress + from + i}`);
    jobs.push(
      new Promise((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), {
          workerData: { host, port, urlPath, seconds, addresses },
        });
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`client thread exited ${code}`)));
      }),
    );
  }
  const parts = await Promise.all(jobs);
  const requests = parts.reduce((a, p) => a + p.requests, 0);
  const non2xx = parts.reduce((a, p) => a + p.non2xx, 0);
  const socketErrors = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const p of parts) for (const k of Object.keys(socketErrors)) socketErrors[k] += p.errors[k];
  // latency histogram in 10 µs buckets, merged
  const hist = new Float64Array(parts[0].hist.length);
  for (const p of parts) for (let i = 0; i < hist.length; i++) hist[i] += p.hist[i];
  const latencyMs = {};
  for (const q of [50, 75, 90, 99]) latencyMs[`p${q}`] = percentile(hist, requests, q);
  const rps = Math.round(requests / seconds);
  const okRps = Math.round((requests - non2xx) / seconds);
  return {
    rps,
    okRps,
    requests,
    non2xx,
    socketErrors,
    latencyMs,
    command: `multi-client ${connections} conn from 127.0.0.${firstAddress}-${firstAddress + connections - 1}, ${threads} threads, ${seconds} s`,
  };
}

const BUCKET_US = 10;
const BUCKETS = 100_000; // up to 1 s; slower responses land in the last bucket

function percentile(hist, total, q) {
  if (!total) return null;
  const want = (total * q) / 100;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= want) return Math.round(((i + 1) * BUCKET_US) / 10) / 100;
  }
  return null;
}

/** One thread: its connections, each sending the next GET as soon as a response is complete. */
function runThread({ host, port, urlPath, seconds, addresses }) {
  const req = Buffer.from(`GET ${urlPath} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const hist = new Float64Array(BUCKETS);
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  let requests = 0;
  let non2xx = 0;
  let stopped = false;
  const sockets = new Set();
  const deadline = Date.now() + seconds * 1000;

  const open = (address) => {
    let sentAt = 0;
    let buf = null;
    let bodyLeft = -1; // -1: reading headers
    let status = 0;
    let connected = false;
    const socket = net.connect({ host, port, localAddress: address, noDelay: true });
    sockets.add(socket);
    const send = () => {
      if (stopped) return;
      sentAt = performance.now();
      socket.write(req);
    };
    const done = () => {
      const us = (performance.now() - sentAt) * 1000;
      hist[Math.min(BUCKETS - 1, Math.floor(us / BUCKET_US))]++;
      requests++;
      if (status < 200 || status > 299) non2xx++;
      send();
    };
    socket.on('connect', () => {
      connected = true;
      send();
    });
    socket.on('data', (chunk) => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (bodyLeft < 0) {
          const end = buf.indexOf(HEADER_END);
          if (end < 0) return;
          const head = buf.toString('latin1', 0, end);
          status = Number(head.slice(9, 12));
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (!m) {
            errors.read++;
            socket.destroy();
            return;
          }
          bodyLeft = Number(m[1]);
          buf = buf.subarray(end + 4);
        }
        if (buf.length < bodyLeft) {
          bodyLeft -= buf.length;
          buf = null;
          return;
        }
        buf = buf.subarray(bodyLeft);
        bodyLeft = -1;
        done();
        if (buf.length === 0) {
          buf = null;
          return;
        }
      }
    });
    socket.on('error', (err) => {
      if (stopped) return;
      if (!connected) errors.connect++;
      else if (err.code === 'EPIPE') errors.write++;
      else errors.read++;
    });
    socket.on('close', () => {
      sockets.delete(socket);
      // the server closed a keep-alive connection: open another from the same address
      if (!stopped && Date.now() < deadline) setTimeout(() => open(address), 10);
    });
  };
  for (const a of addresses) open(a);
  setTimeout(() => {
    stopped = true;
    for (const s of sockets) s.destroy();
    parentPort.postMessage({ requests, non2xx, errors, hist });
  }, seconds * 1000);
}

if (!isMainThread && workerData?.addresses) runThread(workerData);
