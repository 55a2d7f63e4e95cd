/**
 * The FileBin contract: every request of ../shared/spec/filebin-golden.md (a real FileBin 4.1.0),
 * one folder per scenario under test/filebin-contract/, replayed in order against a real Stowage
 * server. Responses are compared with the golden ones after normalising only what cannot be equal:
 * ids and keys (each captured value becomes a named placeholder on both sides), dates, the host,
 * and the MD5s of the few test files whose exact bytes the golden run does not give. Key order,
 * types, escaping, status and content type are compared as they are.
 *
 * A scenario may carry `ours` (what we deliberately answer instead, with `difference` saying why:
 * the README lists them) or `skip` (with the reason).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startServer, type TestServer } from './helpers.js';

interface Expected {
  status: number;
  contentType?: string;
  body?: string;
  html?: { title: string; error?: string };
  headers?: Record<string, string>;
  summary?: string;
}

interface Scenario {
  title: string;
  server: 'main' | 'small';
  request: {
    method: 'GET' | 'POST';
    path: string;
    fields?: [string, string][];
    files?: [string, string][];
    encoding?: 'multipart' | 'urlencoded';
  };
  golden: Expected;
  ours?: Expected;
  difference?: string;
  skip?: string;
  capture?: Record<string, string>;
  patterns?: Record<string, string>;
  /** Response headers compared with the golden ones. */
  compare?: string[];
}

const DIR = path.join(ROOT, 'test/filebin-contract');
const GOLDEN_HOST = 'http://127.0.0.1:18080';

const scenarios: { folder: string; s: Scenario }[] = fs
  .readdirSync(DIR)
  .sort()
  .map((folder) => ({
    folder,
    s: JSON.parse(fs.readFileSync(path.join(DIR, folder, 'scenario.json'), 'utf8')) as Scenario,
  }));

/** The test files: the golden run's own bytes where it gives them, same-size stand-ins otherwise. */
async function fixtures(): Promise<Map<string, Buffer>> {
  const f = new Map<string, Buffer>();
  f.set('a.txt', Buffer.from('hello world\n'));
  f.set('a_copy.txt', Buffer.from('hello world\n'));
  f.set('b.txt', Buffer.from('second file\n'));
  f.set(
    'm1.bin',
    Buffer.from(
      '4dc968ff0ee35c209572d4777b721587d36fa7b21bdc56b74a3dc0783e7b9518afbfa200a8284bf36e8e4b55b35f427593d849676da0d1555d8360fb5f07fea2',
      'hex',
    ),
  );
  f.set(
    'm2.bin',
    Buffer.from(
      '4dc968ff0ee35c209572d4777b721587d36fa7b21bdc56b74a3dc0783e7b9518afbfa202a8284bf36e8e4b55b35f427593d849676da0d1d55d8360fb5f07fea2',
      'hex',
    ),
  );
  f.set('empty.txt', Buffer.alloc(0));
  f.set(
    'small-file',
    Buffer.from('a small file, sixty-one bytes long, for the FileBin tests!!!\n'),
  );
  f.set('big.txt', Buffer.from('0123456789abcdefghi\n'.repeat(1000) + 'x'));
  f.set('bob.txt', Buffer.from('bob was here\n'));
  f.set('two_hundred.txt', Buffer.from('y'.repeat(199) + '\n'));
  f.set('img.png', await png(238));
  f.set('simple.pdf', pdf(9505));
  expect(f.get('small-file')!.length).toBe(61);
  expect(f.get('big.txt')!.length).toBe(20001);
  return f;
}

/** A 2×2 black and white PNG padded with a tEXt chunk to exactly `size` bytes. */
async function png(size: number): Promise<Buffer> {
  const raw = Buffer.from([0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0]);
  const base = await sharp(raw, { raw: { width: 2, height: 2, channels: 3 } })
    .png()
    .toBuffer();
  const iend = base.length - 12;
  const text = Buffer.concat([
    Buffer.from('Comment\0'),
    Buffer.alloc(size - base.length - 12 - 8, 'p'),
  ]);
  const type = Buffer.from('tEXt');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(text.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, text])));
  const out = Buffer.concat([base.subarray(0, iend), len, type, text, crc, base.subarray(iend)]);
  expect(out.length).toBe(size);
  return out;
}

function crc32(b: Buffer): number {
  let c = ~0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A one-page PDF padded with comment lines to exactly `size` bytes. */
function pdf(size: number): Buffer {
  const head =
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\ntrailer<</Root 1 0 R>>\n';
  const tail = '%%EOF\n';
  const pad = size - head.length - tail.length;
  return Buffer.from(head + '%' + 'p'.repeat(pad - 2) + '\n' + tail);
}

/** Golden MD5s of the stand-in files (the golden run's bytes are not given for these). */
const GOLDEN_MD5: Record<string, string> = {
  'img.png': '2f2eea6d28d082f0453f8fbd78e88fa8',
  'small-file': '176462e023aebd2b971bdd8048240203',
  'big.txt': '8e45c1db335fcfe4826f272baed3b011',
  'simple.pdf': '2201ef5c5705709b4051c9070ebae5bb',
};

/** Placeholders: golden value → name, our value → name. */
class Names {
  readonly golden = new Map<string, string>();
  readonly ours = new Map<string, string>();
  readonly values = new Map<string, string>();

  set(name: string, goldenValue: string, ourValue: string): void {
    this.golden.set(goldenValue, name);
    this.ours.set(ourValue, name);
    this.values.set(name, ourValue);
  }

  /** `$NAME` in a request field or path, as our value. */
  fill(s: string): string {
    return s.replace(/\$([A-Z][A-Z0-9_]*)/g, (m, n: string) => this.values.get(n) ?? m);
  }
}

/** Replace each value only where it is a whole token (between quotes or slashes, or alone). */
function substitute(text: string, map: Map<string, string>): string {
  const entries = [...map.entries()].sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [value, name] of entries) {
    const esc = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<=^|["/ ])${esc}(?=$|["\\\\/ .-])`, 'g'), `{${name}}`);
    const lower = value.toLowerCase();
    if (lower !== value) {
      const escL = lower.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      out = out.replace(new RegExp(`(?<=")${escL}(?=-thumb")`, 'g'), `{${name}}`);
    }
  }
  return out;
}

function normalise(text: string, names: Map<string, string>, host: string): string {
  let out = text.split(host.replaceAll('/', '\\/')).join('{HOST}');
  out = out.split(host).join('{HOST}');
  out = substitute(out, names);
  out = out
    .replace(/"(date)":"\d+"/g, '"$1":"{DATE}"')
    .replace(/"created":\d+/g, '"created":{DATE}');
  return out;
}

function pick(json: unknown, p: string): string {
  let v: unknown = json;
  for (const k of p.split('.')) v = (v as Record<string, unknown>)[k];
  if (typeof v !== 'string') throw new Error(`no string at ${p}`);
  return v;
}

const ctype = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, '').toLowerCase();

function titleOf(html: string): string {
  const t = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
  return t
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

let main: TestServer;
let small: TestServer;
let files: Map<string, Buffer>;
const names = new Names();

beforeAll(async () => {
  files = await fixtures();
  main = await startServer({ maxFileSize: 268435456 });
  small = await startServer({ maxFileSize: 100 });
  const { accounts } = main.app.runtime.core;
  await accounts.createUser('alice', 'alicepass', false);
  await accounts.createUser('bob', 'bobpass1', false);
  const smallAccounts = small.app.runtime.core.accounts;
  await smallAccounts.createUser('carol', 'carolpass', false);
  const { key } = await smallAccounts.createKey('carol', 'test', '127.0.0.1');
  names.values.set('SMALLKEY', key);
  for (const [name, golden] of Object.entries(GOLDEN_MD5)) {
    const ours = createHash('md5').update(files.get(name)!).digest('hex');
    names.golden.set(golden, `md5 of ${name}`);
    names.ours.set(ours, `md5 of ${name}`);
  }
});

afterAll(async () => {
  await main?.close();
  await small?.close();
});

async function send(server: TestServer, s: Scenario): Promise<Response> {
  const r = s.request;
  const url = server.url + names.fill(r.path);
  const fields = (r.fields ?? []).map(([k, v]) => [names.fill(k), names.fill(v)] as const);
  if (r.method === 'GET') return fetch(url);
  if (r.files || r.encoding === 'multipart') {
    const form = new FormData();
    // Files first, then fields (as fb sends them: the key last), unless fields come first.
    for (const [field, file] of r.files ?? []) {
      form.append(names.fill(field), new Blob([new Uint8Array(files.get(file)!)]), file);
    }
    for (const [k, v] of fields) form.append(k, v);
    return fetch(url, { method: 'POST', body: form });
  }
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields.map(([k, v]) => [k, v])) });
}

describe('FileBin golden contract', () => {
  for (const { folder, s } of scenarios) {
    const run = s.skip ? it.skip : it;
    run(`${folder}: ${s.title}`, async () => {
      const server = s.server === 'small' ? small : main;
      const res = await send(server, s);
      const buf = Buffer.from(await res.arrayBuffer());
      const text = buf.toString('utf8');
      const want = s.ours ?? s.golden;
      if (s.capture) {
        const ours = JSON.parse(text) as unknown;
        const golden = JSON.parse(s.golden.body!) as unknown;
        for (const [name, p] of Object.entries(s.capture)) {
          const value = pick(ours, p);
          if (s.patterns?.[name]) expect(value, name).toMatch(new RegExp(s.patterns[name]!));
          names.set(name, pick(golden, p), value);
          if (/^[A-Za-z0-9]{32}$/.test(value) && p === 'data.new_key') {
            // Keys are listed by their public id: name that id like the key.
            const principal = await server.app.runtime.core.accounts.authenticate(value);
            names.ours.set(principal.keyId, name);
          }
        }
      }
      expect(res.status, text.slice(0, 300)).toBe(want.status);
      if (want.contentType) {
        expect(ctype(res.headers.get('content-type'))).toBe(ctype(want.contentType));
      }
      if (want.body !== undefined) {
        expect(normalise(text, names.ours, server.url)).toBe(
          normalise(want.body, names.golden, GOLDEN_HOST),
        );
      }
      if (want.html) {
        expect(normalise(titleOf(text), names.ours, server.url)).toBe(
          normalise(want.html.title, names.golden, GOLDEN_HOST),
        );
        if (want.html.error) expect(text).toContain(want.html.error);
      }
      for (const h of s.compare ?? []) {
        const golden = Object.entries(s.golden.headers ?? {}).find(
          ([k]) => k.toLowerCase() === h.toLowerCase(),
        )?.[1];
        const got = res.headers.get(h);
        if (h === 'Content-Length' && s.title.includes('tar')) {
          expect(Number(got)).toBeGreaterThan(0);
        } else {
          // Content-Disposition too: FileBin's exactly (the golden names are plain ASCII, which
          // needs no RFC 5987 filename*).
          expect(normalise(got ?? '', names.ours, server.url), h).toBe(
            normalise(golden ?? '', names.golden, GOLDEN_HOST),
          );
        }
      }
      if (s.golden.summary === 'hello world') expect(text).toBe('hello world\n');
      if (s.title === 'GET image raw') expect(buf.equals(files.get('img.png')!)).toBe(true);
    });
  }
});
