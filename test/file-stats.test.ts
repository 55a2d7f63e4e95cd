import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

interface Stats {
  views: number;
  downloads: number;
  bandwidth: number;
  bandwidth_paid: number;
}
type Message =
  | { type: 'file_stats'; file_stats: Stats }
  | { type: 'limits'; limits: Record<string, unknown> }
  | { type: 'error'; success: false; value: string; message: string };

/** A websocket client that queues what the server sends. */
class Client {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
    ws.on('error', () => {});
  }

  static open(url: string, opts: { localAddress?: string; origin?: string } = {}): Promise<Client> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/file_stats`, {
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
    });
    const c = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(body: unknown): void {
    this.ws.send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  subscribe(fileId: string): void {
    this.send({ type: 'file_stats', data: { file_id: fileId } });
  }

  /** The first message (from `from` on) that matches; fails after `ms`. */
  async wait<T extends Message>(match: (m: Message) => m is T, ms = 5000, from = 0): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.messages.slice(from).find(match);
      if (hit) return hit;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) before a match`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no match in ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket not closed');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}

const stats =
  (pred: (s: Stats) => boolean = () => true) =>
  (m: Message): m is Extract<Message, { type: 'file_stats' }> =>
    m.type === 'file_stats' && pred(m.file_stats);
const error =
  (value: string) =>
  (m: Message): m is Extract<Message, { type: 'error' }> =>
    m.type === 'error' && m.value === value;

describe('GET /api/file_stats: live counters and views over a websocket', () => {
  let s: TestServer;
  let key: string;
  const clients: Client[] = [];

  const upload = async (name: string, body: string): Promise<string> => {
    const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body,
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  };
  const info = async (id: string) => {
    await s.app.runtime.core.traffic.flush();
    const r = await fetch(`${s.url}/api/file/${id}/info`);
    expect(r.status).toBe(200);
    return (await r.json()) as {
      views: number;
      downloads: number;
      bandwidth_used: number;
      date_last_view: string;
      date_upload: string;
    };
  };
  const open = async (opts: { localAddress?: string; origin?: string } = {}) => {
    const c = await Client.open(s.url, opts);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    s = await startServer({ statsPollMs: 100, statsSocketsPerIp: 3, statsMaxSubscriptions: 3 });
    key = await createUserWithKey(s, 'stats-owner');
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await s?.close();
  });

  it('a plain HTTP request answers 400 websocket_endpoint', async () => {
    const r = await fetch(`${s.url}/api/file_stats`);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ success: false, value: 'websocket_endpoint' });
  });

  it('an upgrade request for another path is answered as a plain GET (curl --http2 sends h2c)', async () => {
    const id = await upload('h2c.txt', 'served without an upgrade');
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = net.connect(Number(new URL(s.url).port), '127.0.0.1');
        let out = '';
        sock.on('data', (d) => (out += String(d)));
        sock.on('error', reject);
        // The server closes the connection after its answer.
        sock.on('end', () => resolve(out));
        sock.write(request);
      });
    const h2c = await raw(
      `GET /api/file/${id} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n` +
        'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    );
    expect(h2c).toMatch(/^HTTP\/1\.1 200 /);
    expect(h2c).toMatch(/\r\nconnection: close\r\n/i);
    expect(h2c.endsWith('served without an upgrade')).toBe(true);
    // A websocket handshake to a path that is not a websocket is not upgraded either.
    const ws = await raw(
      `GET /api/file/${id} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(ws).toMatch(/^HTTP\/1\.1 200 /);
    // Another method cannot be served (its body is not read after an upgrade): 400.
    const put = await raw(
      `PUT /api/file/x.txt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n` +
        'Content-Length: 3\r\n\r\nabc',
    );
    expect(put).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('opening /u/{id} (a bot, a link preview, curl) counts no view', async () => {
    const id = await upload('page.txt', 'viewed by a bot');
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${s.url}/u/${id}`);
      expect(r.status).toBe(200);
    }
    expect((await info(id)).views).toBe(0);
  });

  it('a subscription counts a view once per client address; pushes the counters', async () => {
    const id = await upload('viewed.txt', 'hello, viewers');
    const before = await info(id);
    const a = await open({ localAddress: '127.0.0.2' });
    a.subscribe(id);
    // The counters at once, then the view this subscription counted.
    await a.wait(stats());
    await a.wait(stats((x) => x.views === 1));
    // A second connection from the same address: no second view.
    const b = await open({ localAddress: '127.0.0.2' });
    b.subscribe(id);
    expect((await b.wait(stats())).file_stats.views).toBe(1);
    // Another address counts; both sockets hear it.
    const c = await open({ localAddress: '127.0.0.3' });
    c.subscribe(id);
    await c.wait(stats((x) => x.views === 2));
    await a.wait(stats((x) => x.views === 2));
    await b.wait(stats((x) => x.views === 2));
    const after = await info(id);
    expect(after.views).toBe(2);
    // date_last_view moves with views.
    expect(Date.parse(after.date_last_view)).toBeGreaterThanOrEqual(Date.parse(before.date_upload));
    expect(after.date_last_view).not.toBe(before.date_last_view);
    // Subscribing again on the same socket is neither a second feed nor a second view.
    const n = a.messages.length;
    a.subscribe(id);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.messages.slice(n).filter((m) => m.type === 'error')).toEqual([]);
    expect((await info(id)).views).toBe(2);
  });

  it('pushes the new counters when the file is downloaded', async () => {
    const body = 'twenty bytes of data';
    const id = await upload('downloaded.txt', body);
    const a = await open({ localAddress: '127.0.0.4' });
    a.subscribe(id);
    await a.wait(stats((x) => x.views === 1));
    const from = a.messages.length;
    const r = await fetch(`${s.url}/api/file/${id}`);
    expect(await r.text()).toBe(body);
    const pushed = await a.wait(
      stats((x) => x.downloads === 1 && x.bandwidth === body.length),
      5000,
      from,
    );
    expect(pushed.file_stats).toEqual({
      views: 1,
      downloads: 1,
      bandwidth: body.length,
      bandwidth_paid: 0,
    });
  });

  it('the limits feed answers in pixeldrain shape', async () => {
    const a = await open({ localAddress: '127.0.0.5' });
    a.send({ type: 'limits', data: {} });
    const m = await a.wait((x): x is Extract<Message, { type: 'limits' }> => x.type === 'limits');
    expect(Object.keys(m.limits).sort()).toEqual(
      [
        'download_limit',
        'download_limit_used',
        'server_overload',
        'speed_limit',
        'transfer_limit',
        'transfer_limit_used',
      ].sort(),
    );
  });

  it('bad messages get an error message; the socket and the process carry on', async () => {
    const id = await upload('robust.txt', 'still here');
    const a = await open({ localAddress: '127.0.0.6' });
    a.send('this is not json');
    await a.wait(error('json_parse_failed'));
    a.send({ type: 'subscribe_everything' });
    await a.wait(error('unknown_message_type'));
    a.send('[1,2,3]');
    a.send({ type: 'file_stats', data: { file_id: 42 } });
    a.send({ type: 'file_stats' });
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const invalid = () => a.messages.filter(error('invalid_message')).length;
    for (let i = 0; i < 100 && invalid() < 4; i++) await new Promise((r) => setTimeout(r, 20));
    expect(invalid()).toBe(4);
    a.subscribe('nosuchfile');
    await a.wait(error('not_found'));
    a.subscribe('../../etc');
    expect(a.closed).toBeNull();
    // The same socket still subscribes.
    a.subscribe(id);
    await a.wait(stats((x) => x.views === 1));
  });

  it('a message over the size limit closes that socket (1009), nothing else', async () => {
    const a = await open({ localAddress: '127.0.0.7' });
    a.send(JSON.stringify({ type: 'file_stats', data: { file_id: 'x'.repeat(10_000) } }));
    expect((await a.waitClosed()).code).toBe(1009);
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    // Its slot is free again.
    for (let i = 0; i < 3; i++) await open({ localAddress: '127.0.0.7' });
  });

  it('subscriptions per socket are bounded', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map((i) => upload(`many${i}.txt`, `file ${i}`)));
    const a = await open({ localAddress: '127.0.0.8' });
    for (const id of ids.slice(0, 3)) {
      a.subscribe(id);
      await a.wait(stats(), 5000, a.messages.length);
    }
    a.subscribe(ids[3]!);
    await a.wait(error('too_many_subscriptions'));
  });

  it('sockets per client address are bounded; others are not affected', async () => {
    const held = [
      await open({ localAddress: '127.0.0.9' }),
      await open({ localAddress: '127.0.0.9' }),
      await open({ localAddress: '127.0.0.9' }),
    ];
    const over = await open({ localAddress: '127.0.0.9' });
    await over.wait(error('too_many_connections'));
    expect((await over.waitClosed()).code).toBe(1008);
    // Another address still connects.
    const other = await open({ localAddress: '127.0.0.10' });
    other.send({ type: 'limits' });
    await other.wait((m): m is Extract<Message, { type: 'limits' }> => m.type === 'limits');
    // A closed socket frees its slot.
    held[0]!.close();
    await held[0]!.waitClosed();
    await new Promise((r) => setTimeout(r, 100));
    const again = await open({ localAddress: '127.0.0.9' });
    again.send({ type: 'limits' });
    await again.wait((m): m is Extract<Message, { type: 'limits' }> => m.type === 'limits');
  });

  it('a socket error (a malformed frame) ends that socket only and frees its slot', async () => {
    const u = new URL(s.url);
    for (let i = 0; i < 4; i++) {
      const sock = net.connect({
        host: u.hostname,
        port: Number(u.port),
        localAddress: '127.0.0.11',
      });
      sock.on('error', () => {});
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(
        'GET /api/file_stats HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await new Promise<void>((r) => sock.once('data', () => r()));
      // An unmasked client frame: a protocol error on the server's socket.
      sock.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
      await new Promise<void>((r) => sock.once('close', () => r()));
    }
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    // Four errored sockets did not use up the three slots of their address.
    for (let i = 0; i < 3; i++) {
      const c = await open({ localAddress: '127.0.0.11' });
      c.send({ type: 'limits' });
      await c.wait((m): m is Extract<Message, { type: 'limits' }> => m.type === 'limits');
    }
  });

  it('a browser on another site cannot subscribe (no cross-site view counting)', async () => {
    const id = await upload('cross.txt', 'cross-site');
    const a = await open({ localAddress: '127.0.0.12', origin: 'https://evil.example' });
    await a.wait(error('origin_not_allowed'));
    expect((await a.waitClosed()).code).toBe(1008);
    const same = await open({ localAddress: '127.0.0.12', origin: s.url });
    same.subscribe(id);
    await same.wait(stats((x) => x.views === 1));
  });
});

describe('GET /api/file_stats: two nodes on one database', () => {
  it('a subscriber on one node hears a download served by the other', async () => {
    const a = await startServer({ statsPollMs: 100 });
    // The same database (and store): the same data dir, or the same schema, bucket and Redis.
    const b = await startServer({ ...(a.stack?.config ?? {}), statsPollMs: 100 }, a.dataDir);
    try {
      const key = await createUserWithKey(a, 'two-nodes');
      const body = 'served by the other node';
      const r = await fetch(`${a.url}/api/file/two.txt`, {
        method: 'PUT',
        body,
        headers: { Authorization: basic(key) },
      });
      const { id } = (await r.json()) as { id: string };
      const c = await Client.open(a.url);
      c.subscribe(id);
      await c.wait(stats((x) => x.views === 1));
      expect(await (await fetch(`${b.url}/api/file/${id}`)).text()).toBe(body);
      // Node b writes its counters (on its own within a second; now, to keep the test short).
      await b.app.runtime.core.traffic.flush();
      const pushed = await c.wait(stats((x) => x.downloads === 1));
      expect(pushed.file_stats).toMatchObject({ views: 1, downloads: 1, bandwidth: body.length });
      c.close();
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('GET /api/file_stats: shutdown', () => {
  it('closing the app says 1001 to clients and does not wait for a peer that never answers', async () => {
    const s = await startServer();
    const polite = await Client.open(s.url);
    const u = new URL(s.url);
    // A peer that completes the upgrade, then never answers (not even the close handshake).
    const mute = net.connect({ host: u.hostname, port: Number(u.port) });
    mute.on('error', () => {});
    await new Promise<void>((r) => mute.once('connect', () => r()));
    mute.write(
      'GET /api/file_stats HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise<void>((r) => mute.once('data', () => r()));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await polite.waitClosed()).code).toBe(1001);
    mute.destroy();
  });
});
