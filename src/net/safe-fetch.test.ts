import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFetchError } from '../core/remote.js';
import { canonicalAddress, SafeFetcher, type Resolver } from './safe-fetch.js';

let server: http.Server;
let port: number;
const LIMITS = { maxBytes: 10_000, timeoutMs: 1500 };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok.png') {
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': 100 });
      res.end(Buffer.alloc(100, 1));
    } else if (req.url === '/to-loopback') {
      res.writeHead(302, { Location: `http://localhost:${port}/ok.png` });
      res.end();
    } else if (req.url === '/loop') {
      res.writeHead(302, { Location: '/loop' });
      res.end();
    } else if (req.url === '/endless') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const chunk = Buffer.alloc(4096, 2);
      const write = () => {
        while (res.write(chunk)) {
          /* keep writing */
        }
        res.once('drain', write);
      };
      write();
      res.on('error', () => {});
    } else if (req.url === '/slow') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    } else if (req.url?.startsWith('/named?')) {
      // The Content-Disposition to send, in the query.
      const cd = decodeURIComponent(req.url.slice('/named?'.length));
      res.writeHead(200, { 'Content-Length': 1, 'Content-Disposition': cd });
      res.end('x');
    } else if (req.url === '/silent') {
      // Never answers.
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const fixed =
  (map: Record<string, string[]>): Resolver =>
  async (host) =>
    (map[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    const r = (await p) as { body?: NodeJS.ReadableStream };
    if (r.body) for await (const _ of r.body) void _;
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(RemoteFetchError);
    return (err as RemoteFetchError).reason;
  }
}

async function timed(p: Promise<string>): Promise<{ reason: string; ms: number }> {
  const t = Date.now();
  const r = await p;
  return { reason: r, ms: Date.now() - t };
}

describe('SafeFetcher', () => {
  it('refuses 127.0.0.1 and other inside addresses without an allow-list', async () => {
    const f = new SafeFetcher();
    expect(await reason(f.open(`http://127.0.0.1:${port}/ok.png`, LIMITS))).toBe(
      'forbidden_address',
    );
    for (const ip of ['[::1]', '[::ffff:127.0.0.1]', '[::ffff:a9fe:a9fe]', '0.0.0.0', '10.1.2.3']) {
      expect(await reason(f.open(`http://${ip}/x`, LIMITS)), ip).toBe('forbidden_address');
    }
  });

  it('fetches an allowed address and gives name and type', async () => {
    const f = new SafeFetcher({ allow: ['127.0.0.1'] });
    const file = await f.open(`http://127.0.0.1:${port}/ok.png`, LIMITS);
    expect(file.name).toBe('ok.png');
    expect(file.type).toBe('image/png');
    expect(file.size).toBe(100);
    let n = 0;
    for await (const c of file.body) n += (c as Buffer).length;
    expect(n).toBe(100);
  });

  it('names a file from Content-Disposition: filename* (UTF-8, ISO-8859-1), escapes, malformed ones leniently', async () => {
    const f = new SafeFetcher({ allow: ['127.0.0.1'] });
    const cases: Array<[string, string]> = [
      ['attachment; filename="report 2024.csv"', 'report 2024.csv'],
      [`attachment; filename="x.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`, 'été.txt'],
      [`attachment; filename*=ISO-8859-1''%E9t%E9.txt`, 'été.txt'],
      ['inline; filename="say \\"hi\\".txt"', 'say "hi".txt'],
      ['attachment; filename="../../etc/passwd"', 'passwd'],
      // Not valid RFC 6266 (unquoted space), sent anyway by some servers.
      ['attachment; filename=my report.pdf', 'my report.pdf'],
      ['attachment', 'named'],
    ];
    for (const [cd, name] of cases) {
      const file = await f.open(`http://127.0.0.1:${port}/named?${encodeURIComponent(cd)}`, LIMITS);
      for await (const _ of file.body) void _;
      expect(file.name, cd).toBe(name);
    }
  });

  it('refuses host names resolving to 10.x or the metadata address (any of their addresses)', async () => {
    const f = new SafeFetcher({
      resolver: fixed({
        'intranet.test': ['10.0.0.5'],
        'metadata.test': ['169.254.169.254'],
        'mixed.test': ['93.184.216.34', '192.168.1.1'],
        'mapped.test': ['::ffff:10.0.0.1'],
      }),
    });
    for (const host of ['intranet.test', 'metadata.test', 'mixed.test', 'mapped.test']) {
      expect(await reason(f.open(`http://${host}/x.png`, LIMITS)), host).toBe('forbidden_address');
    }
  });

  it('connects to the address it checked (no second lookup)', async () => {
    let lookups = 0;
    const f = new SafeFetcher({
      allow: ['images.test'],
      resolver: async () => {
        lookups++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const file = await f.open(`http://images.test:${port}/ok.png`, LIMITS);
    for await (const _ of file.body) void _;
    expect(lookups).toBe(1);
  });

  it('re-checks redirects: a redirect to loopback is refused; more than 3 are refused', async () => {
    // The first host is allowed by name (it resolves to our test server); its redirect is not.
    const f = new SafeFetcher({
      allow: ['redirector.test'],
      resolver: fixed({ 'redirector.test': ['127.0.0.1'], localhost: ['127.0.0.1'] }),
    });
    expect(await reason(f.open(`http://redirector.test:${port}/to-loopback`, LIMITS))).toBe(
      'forbidden_address',
    );
    expect(await reason(f.open(`http://redirector.test:${port}/loop`, LIMITS))).toBe(
      'too_many_redirects',
    );
  });

  it('refuses other schemes and credentials in URLs', async () => {
    const f = new SafeFetcher();
    for (const u of [
      'file:///etc/passwd',
      'ftp://example.com/a',
      'http://u:p@example.com/',
      'nope',
    ]) {
      expect(await reason(f.open(u, LIMITS)), u).toBe('invalid_url');
    }
  });

  it('cuts an endless body off at the size limit, within the time limit', async () => {
    const f = new SafeFetcher({ allow: ['127.0.0.1'] });
    const r = await timed(reason(f.open(`http://127.0.0.1:${port}/endless`, LIMITS)));
    expect(r.reason).toBe('too_large');
    expect(r.ms).toBeLessThan(LIMITS.timeoutMs);
  });

  it('gives up on a slow body and a silent server at the time limit', async () => {
    const f = new SafeFetcher({ allow: ['127.0.0.0/8'] });
    for (const p of ['/slow', '/silent']) {
      const r = await timed(reason(f.open(`http://127.0.0.1:${port}${p}`, LIMITS)));
      expect(r.reason, p).toBe('timeout');
      expect(r.ms, p).toBeGreaterThanOrEqual(LIMITS.timeoutMs - 50);
      expect(r.ms, p).toBeLessThan(LIMITS.timeoutMs + 1000);
    }
  });

  it("stops on the caller's signal: before the answer, and while the body streams", async () => {
    const f = new SafeFetcher({ allow: ['127.0.0.1'] });
    // A server that never answers: the open itself is given up.
    let ac = new AbortController();
    const opening = reason(
      f.open(`http://127.0.0.1:${port}/silent`, LIMITS, { signal: ac.signal }),
    );
    setTimeout(() => ac.abort(), 50);
    expect(await opening).toBe('cancelled');
    // A body streaming (no Content-Length: size null): it errors with the reason.
    ac = new AbortController();
    const file = await f.open(`http://127.0.0.1:${port}/slow`, LIMITS, { signal: ac.signal });
    expect(file.size).toBeNull();
    setTimeout(() => ac.abort(), 150);
    expect(await reason(Promise.resolve(file))).toBe('cancelled');
    // Already aborted: nothing is fetched.
    expect(
      await reason(f.open(`http://127.0.0.1:${port}/ok.png`, LIMITS, { signal: ac.signal })),
    ).toBe('cancelled');
  });

  it.each([
    '::7f00:1', // IPv4-compatible ::/96 (127.0.0.1)
    '::a9fe:a9fe', // IPv4-compatible metadata address
    '::ffff:0:7f00:1', // IPv4-translated ::ffff:0:0:0/96
    '64:ff9b::a00:1', // NAT64
    '2002:7f00:1::1', // 6to4 of 127.0.0.1
    '2001::1', // Teredo
    'fec0::1', // site-local
    '4000::1', // outside 2000::/3
    '255.255.255.255',
    '0.1.2.3',
    '100.64.0.1',
    '192.0.0.8',
    'not an address',
  ])('refuses %s', (address) => {
    expect(new SafeFetcher().addressAllowed(address)).toBe(false);
  });

  it.each(['93.184.216.34', '2606:4700::1111', '::ffff:93.184.216.34'])('allows %s', (a) => {
    expect(new SafeFetcher().addressAllowed(a)).toBe(true);
  });

  it('treats IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(canonicalAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(new SafeFetcher({ allow: ['[::1]/128'] }).addressAllowed('::1')).toBe(true);
    expect(new SafeFetcher().addressAllowed('::ffff:169.254.169.254')).toBe(false);
    expect(new SafeFetcher().addressAllowed('93.184.216.34')).toBe(true);
  });
});
