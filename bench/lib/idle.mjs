// Idle keep-alive connections (issue 18): many clients that made one request and keep their
// connection open, as browsers do, while wrk measures. Each connection GETs a path once (the
// response read to its last byte), then sits idle. Connections are spread over loopback source
// addresses (127.0.0.x; all of 127/8 is the loopback interface on Linux) so a per-address cap
// (Stowage's STOWAGE_MAX_CONNECTIONS_PER_IP, 128 by default) does not refuse them: from the
// server's side they are `count / perAddress` clients with `perAddress` connections each. Every
// close (by the server: keep-alive timeout, connection caps) is counted.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { log, syncDisks } from './util.mjs';

const HEADER_END = Buffer.from('\r\n\r\n');
const OPEN_TIMEOUT_MS = 15_000;
/** Connections opened at once (the listen backlog is 511 for both servers). */
const BATCH = 50;

/**
 * Open `count` connections to host:port, `perAddress` per source address from
 * 127.0.0.`firstAddress`; each GETs `urlPath` once. Resolves when all have answered (or failed)
 * with { opened, failed, errors, seconds, openNow(), closedByServer(), close() }.
 */
export async function openIdleConnections({
  host = '127.0.0.1',
  port,
  urlPath,
  count,
  perAddress = 100,
  firstAddress = 100,
}) {
  const addresses = Math.ceil(count / perAddress);
  if (firstAddress + addresses > 255) throw new Error('too many addresses for 127.0.0.x');
  const req = Buffer.from(`GET ${urlPath} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const live = new Set();
  let closedByServer = 0;
  let closing = false;
  const errors = {};

  const openOne = (localAddress) =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port, localAddress, noDelay: true });
      let buf = Buffer.alloc(0);
      let bodyLeft = -1;
      let answered = false;
      const fail = (what) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        errors[what] = (errors[what] ?? 0) + 1;
        socket.destroy();
        resolve(false);
      };
      const timer = setTimeout(() => fail('timeout'), OPEN_TIMEOUT_MS);
      socket.on('connect', () => socket.write(req));
      socket.on('data', (chunk) => {
        if (answered) return; // nothing more is expected on an idle connection
        buf = Buffer.concat([buf, chunk]);
        if (bodyLeft < 0) {
          const end = buf.indexOf(HEADER_END);
          if (end < 0) return;
          const head = buf.toString('latin1', 0, end);
          const status = Number(head.slice(9, 12));
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (status !== 200) return fail(`HTTP ${status}`);
          if (!m) return fail('no content-length');
          bodyLeft = Number(m[1]);
          buf = buf.subarray(end + 4);
        }
        if (buf.length < bodyLeft) return;
        answered = true;
        clearTimeout(timer);
        buf = null;
        live.add(socket);
        resolve(true);
      });
      socket.on('error', (err) => fail(err.code || err.message));
      socket.on('close', () => {
        if (!answered) return fail('closed before the response');
        if (live.delete(socket) && !closing) closedByServer++;
      });
    });

  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < count; i++) {
    pending.push(() => openOne(`127.0.0.${firstAddress + Math.floor(i / perAddress)}`));
  }
  let opened = 0;
  for (let i = 0; i < pending.length; i += BATCH) {
    const ok = await Promise.all(pending.slice(i, i + BATCH).map((f) => f()));
    opened += ok.filter(Boolean).length;
  }
  return {
    requested: count,
    opened,
    failed: count - opened,
    errors,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
    addresses: `127.0.0.${firstAddress}-${firstAddress + addresses - 1} (${perAddress} each)`,
    openNow: () => live.size,
    closedByServer: () => closedByServer,
    close() {
      closing = true;
      for (const s of live) s.destroy();
      live.clear();
    },
  };
}

/**
 * The getSmallIdle row: `idle` connections opened (each GETs urlPath once), then `load(seconds)`
 * (wrk) for the warm-up and the measured run; resolves with wrk's figures and `idle`: how many
 * opened, were still open at the end, and were closed by the server meanwhile (not a failure).
 */
export async function getWithIdleConnections({
  name,
  port,
  urlPath,
  idle: count,
  perAddress,
  load,
  warmupSeconds,
  seconds,
}) {
  const idle = await openIdleConnections({ port, urlPath, count, perAddress });
  try {
    log(
      `${name}: ${idle.opened} of ${idle.requested} idle connections open in ${idle.seconds} s` +
        (idle.failed ? ` (failed: ${JSON.stringify(idle.errors)})` : ''),
    );
    if (warmupSeconds) await load(warmupSeconds);
    syncDisks();
    const w = await load(seconds);
    const info = {
      requested: idle.requested,
      opened: idle.opened,
      failedToOpen: idle.failed,
      openErrors: idle.errors,
      openSeconds: idle.seconds,
      addresses: idle.addresses,
      openAtEnd: idle.openNow(),
      closedByServer: idle.closedByServer(),
    };
    log(
      `${name} GET 4 KiB with ${idle.opened} idle: ${w.okRps} req/s (non-2xx ${w.non2xx}, ` +
        `p99 ${w.latencyMs.p99} ms); idle still open ${info.openAtEnd}, closed by the server ` +
        `${info.closedByServer}`,
    );
    return { ...w, idle: info };
  } finally {
    idle.close();
  }
}
