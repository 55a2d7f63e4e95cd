import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { guardConnections } from './connection-guard.js';

const LIMITS = {
  headersTimeoutMs: 1000,
  keepAliveTimeoutMs: 1000,
  idleTimeoutMs: 1000,
  maxConnections: 0,
  maxConnectionsPerIp: 0,
};

describe('guardConnections', () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = null;
  });

  async function listen(handler: http.RequestListener): Promise<number> {
    server = http.createServer(handler);
    guardConnections(server, LIMITS);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  it('the server thinking longer than the idle timeout is not the client stalling', async () => {
    const port = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        // Three idle timeouts without a byte either way, after the whole request arrived.
        void sleep(3000).then(() => res.end('done'));
      });
    });
    const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    expect(await r.text()).toBe('done');
  });

  it('a client that stops reading a response is disconnected', async () => {
    let closedEarly: Promise<boolean> = Promise.resolve(false);
    const port = await listen((_req, res) => {
      closedEarly = new Promise((resolve) => {
        res.on('close', () => resolve(!res.writableFinished));
      });
      const chunk = Buffer.alloc(1024 * 1024);
      const pump = () => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // Read a little, then never again.
    await new Promise((r) => socket.once('data', r));
    socket.pause();
    expect(await closedEarly).toBe(true);
    socket.destroy();
  });
});
