import type { Rng } from './rng.js';
import { buildHead, type FuzzRequest } from './transport.js';

/** What the generators may refer to: made once against the server before the run. */
export interface Fixtures {
  /** A full-level key of the fixture user (never used to delete the user or revoke itself). */
  key: string;
  /**
   * A key of a second user, used wherever a request may destroy what it authenticates with
   * (delete the account, revoke the key, log out, delete files): it may well stop working.
   */
  spareKey: string;
  username: string;
  password: string;
  /** Files of the fixture user: a text file, a PNG, a 200 KiB random file. */
  fileIds: string[];
  listId: string;
  /** STOWAGE_CHEVERETO_GUEST_KEY of the fuzzed server. */
  guestKey: string;
}

export type Headers = Array<[string, string]>;

export interface Framing {
  /** Declared length differs from the body: 'short' declares less, 'long' more (cut off). */
  length?: 'exact' | 'short' | 'long' | 'none';
  halfClose?: boolean;
  complete?: boolean;
  note?: string;
}

/** A request with a body framed by Content-Length, possibly lying about it. */
export function request(
  rng: Rng,
  category: string,
  method: string,
  target: string,
  headers: Headers,
  body: Buffer = Buffer.alloc(0),
  framing: Framing = {},
): FuzzRequest {
  const mode = framing.length ?? 'exact';
  const h: Headers = [...headers];
  let complete = framing.complete ?? true;
  if (mode === 'short' && body.length > 0) {
    // The extra bytes become a (garbage) next request on this connection.
    h.push(['Content-Length', String(rng.int(0, body.length - 1))]);
  } else if (mode === 'long') {
    h.push(['Content-Length', String(body.length + rng.int(1, 100_000))]);
    complete = false;
  }
  const head = buildHead(method, target, h, body.length, mode === 'none' ? 'none' : 'length');
  return {
    category,
    head,
    body,
    complete,
    halfClose: !complete || (framing.halfClose ?? rng.chance(0.25)),
    ...(framing.note ? { note: framing.note } : {}),
  };
}

export function basicAuth(key: string, user = ''): string {
  return 'Basic ' + Buffer.from(`${user}:${key}`, 'latin1').toString('base64');
}

/**
 * Credentials of every kind: none, a valid key (header or cookie), broken ones. `destructive`:
 * the request may delete or revoke what it authenticates with, so the valid key is the spare one.
 */
export function credentials(rng: Rng, fx: Fixtures, destructive = false): Headers {
  const r = rng.int(0, 11);
  if (r <= 2) return [];
  const key = destructive ? fx.spareKey : fx.key;
  if (r <= 5)
    return rng.chance(0.5)
      ? [['Authorization', basicAuth(key)]]
      : [['Cookie', `pd_auth_key=${key}`]];
  return rng.pick<Headers>([
    [['Cookie', 'pd_auth_key=%']],
    [['Cookie', 'pd_auth_key=%E0%A4%A']],
    [['Cookie', `pd_auth_key=${'%zz'.repeat(rng.int(1, 50))}`]],
    [['Cookie', `pd_auth_key=${rng.str(rng.int(0, 5000))}; pd_auth_key=%; other=1`]],
    [['Cookie', ';;;=;=%;pd_auth_key']],
    [['Cookie', `pd_auth_key="${key}"`]],
    [['Cookie', 'pd_auth_key=\u00ff\u00fe']],
    [['Authorization', 'Basic']],
    [['Authorization', 'Basic %%%%']],
    [['Authorization', `Basic ${Buffer.from('no-colon').toString('base64')}`]],
    [['Authorization', `Basic ${Buffer.from(':' + 'k'.repeat(10_000)).toString('base64')}`]],
    [['Authorization', basicAuth('\u00e9\u00ff\u0000key')]],
    [['Authorization', `Bearer ${key}`]],
    [['Authorization', `Basic ${basicAuth(key).slice(6, -2)}`]],
    [
      ['Authorization', basicAuth(key)],
      ['Authorization', basicAuth('x')],
    ],
  ]);
}

/** File names a hostile client would try. */
export function nastyName(rng: Rng): string {
  const pool = [
    '../../etc/passwd',
    '..\\..\\boot.ini',
    '/abs/path.txt',
    '.',
    '..',
    '',
    ' ',
    'a\u0000b.txt',
    'line\r\nbreak.txt',
    'tab\there',
    '\u202etxt.exe',
    'é日本.txt',
    '😀'.repeat(rng.int(1, 300)),
    'x'.repeat(rng.int(200, 20_000)),
    'CON',
    'a/b',
    'a%2fb',
    '%00',
    '%zz%',
    '"quoted".txt',
    "it's.txt",
    '<script>alert(1)</script>.html',
    'name;filename=evil',
    '\u00ff\u00fe\u00fd',
    '\ud800lonely.txt',
    rng.str(rng.int(1, 40)),
    rng.str(rng.int(1, 40), ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'),
  ];
  return rng.pick(pool);
}

/** A path segment from a name, escaped in one of several (not always valid) ways. */
export function segment(rng: Rng, name: string): string {
  switch (rng.int(0, 3)) {
    case 0:
      return encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '?'));
    case 1:
      // raw bytes: spaces and controls would break the request line, so those are escaped only
      return Buffer.from(name, 'utf8')
        .toString('latin1')
        .replace(
          /[^\x21-\x7e\x80-\xff]|[?#]/g,
          (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'),
        );
    case 2:
      return name.replace(/[^A-Za-z0-9._~-]/g, '%');
    default:
      return encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '?')).replace(/%2F/gi, '/');
  }
}

/** An id that may or may not exist. */
export function someId(rng: Rng, fx: Fixtures): string {
  return rng.pick([
    ...fx.fileIds,
    fx.listId,
    rng.str(rng.int(1, 12), 'ABCDEFabcdef0123456789'),
    rng.str(rng.int(60, 400)),
    '..',
    '%2e%2e',
    'm-' + rng.str(8),
    '',
  ]);
}

/** A body in various shapes (random bytes, text, JSON, nothing). */
export function someBody(rng: Rng): Buffer {
  switch (rng.int(0, 4)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return rng.bytes(rng.logInt(1, 70_000));
    case 2:
      return Buffer.from(rng.str(rng.logInt(1, 5000), 'abc =&%[]{}":,\r\n'));
    case 3:
      return Buffer.from(JSON.stringify({ a: [1, { b: null }], files: rng.str(5) }));
    default:
      return Buffer.from('%'.repeat(rng.int(1, 100)));
  }
}

export const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=xyz',
  'multipart/mixed; boundary=x',
  'text/plain',
  'text/plain; charset=utf-16',
  'application/octet-stream',
  'application/xml',
  'image/png',
  '*/*',
  ';;;',
  'application/json; charset=ebcdic',
  'application/x-www-form-urlencoded; charset=utf-7',
  '\u00ff/\u00fe',
  'x'.repeat(3000),
];
