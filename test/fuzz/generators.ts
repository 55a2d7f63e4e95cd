import type { Rng } from './rng.js';
import {
  CONTENT_TYPES,
  credentials,
  nastyName,
  request,
  segment,
  someBody,
  someId,
  type Fixtures,
  type Headers,
} from './pieces.js';
import { buildHead, type FuzzRequest } from './transport.js';
import { generateApi } from './generators-api.js';
import { genRaw } from './generators-raw.js';

// ---------------------------------------------------------------------------------------------
// multipart

const UPLOAD_TARGETS = [
  ['POST', '/api/file'],
  ['POST', '/api/file/'],
  ['POST', '/api/v2.2.0/file/upload'],
  ['POST', '/api/v2.0.0/file/upload'],
  ['POST', '/api/1/upload'],
  ['POST', '/api/1/upload/'],
  ['POST', '/api/v2.2.0/file/create_multipaste'],
  ['POST', '/api/v2.2.0/user/create_apikey'],
  ['POST', '/api/user/register'],
  ['POST', '/api/user/login'],
  ['PUT', '/api/user'],
  ['POST', '/api/list'],
  ['PUT', '/api/file/x.txt'],
] as const;

const FIELD_NAMES = ['file', 'file[1]', 'file[2]', 'file[]', 'source', 'key', 'apikey', 'x', ''];

function partHeaders(rng: Rng, name: string): string[] {
  const filename = nastyName(rng);
  const dispo = rng.pick([
    `form-data; name="${name}"; filename="${filename}"`,
    `form-data; name="${name}"; filename*=UTF-8''${encodeURIComponent(filename.replace(/[\ud800-\udfff]/g, ''))}`,
    `form-data; name="${name}"; filename*=utf-8''%E0%A4%A; filename="${filename}"`,
    `form-data; name="${name}"`,
    `form-data; name=${name}; filename=${filename}`,
    `form-data; filename="${filename}"`,
    `attachment; name="${name}"; filename="a"`,
    `form-data; name="${name}"; filename="${filename}"; filename="b"`,
    `form-data; name="${'n'.repeat(rng.int(1, 5000))}"; filename="a"`,
    `form-data; name="${name}; filename="a`,
    ``,
  ]);
  const h = [`Content-Disposition: ${Buffer.from(dispo, 'utf8').toString('latin1')}`];
  if (rng.chance(0.3)) h.push(`Content-Type: ${rng.pick(CONTENT_TYPES)}`);
  if (rng.chance(0.1)) h.push('Content-Transfer-Encoding: base64');
  if (rng.chance(0.05)) h.push(`X-Long: ${'h'.repeat(rng.int(1000, 20_000))}`);
  if (rng.chance(0.05)) h.push('no colon here');
  if (rng.chance(0.3)) h.shift(); // no Content-Disposition at all
  return h.length > 0 ? h : ['Content-Disposition: form-data; name="file"; filename="a"'];
}

function partContent(rng: Rng, fx: Fixtures, name: string): Buffer {
  if (name === 'key' || name === 'apikey')
    return Buffer.from(rng.pick([fx.key, fx.guestKey, '', 'wrong', '%', fx.key + '\n']));
  if (name === 'source' && rng.chance(0.5))
    return Buffer.from(
      rng.pick(['data:image/png;base64,iVBORw0KGgo=', 'http://127.0.0.1:1/x', '!!']),
    );
  return rng.bytes(rng.logInt(0, 200_000));
}

/** A multipart body: well formed, or cut, with the wrong boundary, odd headers, missing parts. */
export function multipartBody(
  rng: Rng,
  fx: Fixtures,
): { type: string; body: Buffer; note: string } {
  const boundary = rng.pick([
    'b',
    'X'.repeat(70),
    '----WebKitFormBoundary' + rng.str(16),
    '"q b"',
    'é',
  ]);
  const bare = boundary.replace(/^"|"$/g, '');
  const chunks: Buffer[] = [];
  const notes: string[] = [];
  if (rng.chance(0.1)) chunks.push(Buffer.from('preamble garbage\r\n'));
  const parts = rng.int(0, 4);
  for (let i = 0; i < parts; i++) {
    const name = rng.pick(FIELD_NAMES);
    const delim = rng.chance(0.08) ? `--${bare}x` : `--${bare}`;
    chunks.push(
      Buffer.from(`${delim}\r\n${partHeaders(rng, name).join('\r\n')}\r\n\r\n`, 'latin1'),
    );
    chunks.push(partContent(rng, fx, name));
    chunks.push(Buffer.from('\r\n'));
  }
  const ending = rng.int(0, 5);
  if (ending <= 2) chunks.push(Buffer.from(`--${bare}--\r\n`));
  else if (ending === 3) chunks.push(Buffer.from(`--${bare}`));
  else notes.push('no final boundary');
  let body = Buffer.concat(chunks);
  if (rng.chance(0.35) && body.length > 0) {
    body = body.subarray(0, rng.int(0, body.length - 1));
    notes.push('truncated');
  }
  const type = rng.pick([
    `multipart/form-data; boundary=${boundary}`,
    `multipart/form-data; boundary=${boundary}`,
    `multipart/form-data; boundary=${boundary}`,
    `multipart/form-data; boundary=wrong${rng.str(3)}`,
    'multipart/form-data',
    `multipart/form-data; boundary=${boundary}; charset=latin1`,
    `Multipart/Form-Data; BOUNDARY=${boundary}`,
    `multipart/related; boundary=${boundary}`,
  ]);
  return { type, body, note: notes.join(', ') };
}

function genMultipart(rng: Rng, fx: Fixtures): FuzzRequest {
  const [method, path] = rng.pick(UPLOAD_TARGETS);
  const { type, body, note } = multipartBody(rng, fx);
  const headers: Headers = [
    ['Content-Type', type],
    ...credentials(rng, fx, path.startsWith('/api/user') || path.includes('apikey')),
  ];
  if (path.startsWith('/api/1/') && rng.chance(0.5)) headers.push(['X-API-Key', fx.guestKey]);
  const target =
    path.startsWith('/api/1/') && rng.chance(0.5) ? `${path}?key=${fx.guestKey}` : path;
  const length = rng.pick(['exact', 'exact', 'exact', 'long', 'short'] as const);
  return request(rng, 'multipart', method, target, headers, body, { length, note });
}

// ---------------------------------------------------------------------------------------------
// PUT uploads with odd names and bodies

function genPutName(rng: Rng, fx: Fixtures): FuzzRequest {
  const name = segment(rng, nastyName(rng));
  const headers: Headers = [...credentials(rng, fx)];
  if (rng.chance(0.3)) headers.push(['Content-Type', rng.pick(CONTENT_TYPES)]);
  const body = rng.bytes(rng.logInt(0, 300_000));
  const length = rng.pick(['exact', 'exact', 'exact', 'long', 'short'] as const);
  const target = rng.pick([
    `/api/file/${name}`,
    `/api/file/${name}?x=${name}`,
    `/api/file/${name}/`,
  ]);
  return request(rng, 'put-name', 'PUT', target, headers, body, { length });
}

// ---------------------------------------------------------------------------------------------
// ranges and downloads

function rangeValue(rng: Rng): string {
  const n = () =>
    String(rng.pick([0, 1, 100, 4095, 4096, 204_799, 204_800, 1e6, 2 ** 53, 2 ** 64]));
  return rng.pick([
    `bytes=${n()}-${n()}`,
    `bytes=${n()}-`,
    `bytes=-${n()}`,
    `bytes=0-0,0-0,0-0`,
    `bytes=0-10,5-20,100-`,
    `bytes=${Array.from({ length: rng.int(2, 500) }, (_, i) => `${i}-${i}`).join(',')}`,
    'bytes=',
    'bytes=-',
    'bytes=--1',
    'bytes=1-0',
    'bytes=a-b',
    'bytes= 1 - 2 ',
    'items=0-10',
    'bytes=99999999999999999999999999-',
    'bytes=-99999999999999999999999999',
    `bytes=0-${'9'.repeat(rng.int(20, 400))}`,
    'bytes=0x10-0x20',
    'bytes=1e3-2e3',
    '',
    'bytes=0-10;q=1',
  ]);
}

function genRange(rng: Rng, fx: Fixtures): FuzzRequest {
  const id = encodeURIComponent(someId(rng, fx));
  const target = rng.pick([
    `/api/file/${id}`,
    `/api/file/${id}?download`,
    `/api/list/${fx.listId}/zip`,
    `/api/file/${id}/thumbnail?width=${rng.int(-10, 1000)}&height=${rng.pick(['16', 'x', '256', '1e9'])}`,
    `/image/${id}/${rng.pick(['thumb.jpg', 'medium.jpg', 'frame.jpg', 'x'])}`,
    `/${id}`,
    `/${id}/${rng.pick(['', 'tar', 'zip', 'info', 'x', 'plain'])}`,
    `/file/thumbnail/${id}`,
  ]);
  const headers: Headers = [['Range', rangeValue(rng)]];
  if (rng.chance(0.3)) headers.push(['Range', rangeValue(rng)]);
  if (rng.chance(0.3))
    headers.push([
      rng.pick(['If-Range', 'If-None-Match', 'If-Modified-Since']),
      rng.pick(['"x"', 'W/"', 'Thu, 01 Jan 1970 00:00:00 GMT', 'garbage', '*']),
    ]);
  headers.push(...credentials(rng, fx));
  return request(rng, 'range', rng.pick(['GET', 'GET', 'HEAD']), target, headers);
}

// ---------------------------------------------------------------------------------------------
// headers: Content-Type, Content-Length, Expect, Transfer-Encoding on every kind of endpoint

const ANY_TARGETS = [
  ['PUT', '/api/user'],
  ['DELETE', '/api/user'],
  ['POST', '/api/user/session'],
  ['DELETE', '/api/user/session'],
  ['PATCH', '/api/file/ID'],
  ['POST', '/api/file/ID'],
  ['POST', '/api/unknown/endpoint'],
  ['PUT', '/api/nope'],
  ['POST', '/api/list'],
  ['PUT', '/api/list/LIST'],
  ['POST', '/api/user/login'],
  ['POST', '/api/v2.2.0/file/history'],
  ['POST', '/api/v2.2.0/file/delete'],
  ['POST', '/api/1/upload'],
  ['POST', '/api/file'],
  ['PUT', '/api/file/a.bin'],
  ['POST', '/logout'],
  ['POST', '/ID'],
  ['GET', '/api/file/ID/info'],
  ['OPTIONS', '/api/file'],
  ['DELETE', '/api/file/ID'],
] as const;

function genHeaders(rng: Rng, fx: Fixtures): FuzzRequest {
  const [method, template] = rng.pick(ANY_TARGETS);
  const destructive =
    method === 'DELETE' || template === '/logout' || template.startsWith('/api/user');
  const target = template
    .replace('ID', encodeURIComponent(someId(rng, fx)) || 'x')
    .replace('LIST', fx.listId);
  const headers: Headers = [...credentials(rng, fx, destructive)];
  if (rng.chance(0.85)) headers.push(['Content-Type', rng.pick(CONTENT_TYPES)]);
  if (rng.chance(0.25))
    headers.push(['Expect', rng.pick(['100-continue', '100-Continue', 'garbage', '200-ok'])]);
  let body = someBody(rng);
  const te = rng.int(0, 9);
  if (te === 0) {
    // chunked, well or badly framed
    const good = rng.chance(0.5);
    const chunked = good
      ? Buffer.concat([
          Buffer.from(body.length.toString(16) + '\r\n'),
          body,
          Buffer.from('\r\n0\r\n\r\n'),
        ])
      : Buffer.from(
          rng.pick([
            'zz\r\nabc\r\n0\r\n\r\n',
            'ffffffffffffffff\r\nx',
            '5\r\nabc\r\n',
            '-1\r\n\r\n',
            '0\r\n',
          ]),
        );
    return {
      category: 'headers',
      head: buildHead(method, target, [...headers, ['Transfer-Encoding', 'chunked']], 0, 'none'),
      body: chunked,
      complete: good,
      halfClose: !good || rng.chance(0.3),
      note: good ? 'chunked' : 'chunked, bad framing',
    };
  }
  if (te === 1) {
    headers.push(['Transfer-Encoding', rng.pick(['gzip', 'chunked, gzip', 'identity', 'chunked'])]);
    headers.push(['Content-Length', String(body.length)]);
    return request(rng, 'headers', method, target, headers, body, {
      length: 'none',
      complete: false,
      note: 'TE + CL',
    });
  }
  if (te === 2) {
    headers.push([
      'Content-Length',
      rng.pick(['-1', 'abc', '1e3', ' 5', '5, 6', '99999999999999999999', '0x10']),
    ]);
    return request(rng, 'headers', method, target, headers, body, {
      length: 'none',
      complete: false,
      note: 'bad Content-Length',
    });
  }
  if (te === 3) {
    headers.push(
      ['Content-Length', String(body.length)],
      ['Content-Length', String(body.length + 1)],
    );
    return request(rng, 'headers', method, target, headers, body, {
      length: 'none',
      complete: false,
      note: 'two Content-Lengths',
    });
  }
  if (te === 4 && body.length === 0) body = Buffer.from('x');
  const length = te === 4 ? 'long' : te === 5 ? 'short' : 'exact';
  return request(rng, 'headers', method, target, headers, body, { length });
}

// ---------------------------------------------------------------------------------------------

export type Generator = (rng: Rng, fx: Fixtures) => FuzzRequest;

/** Every category with its weight. */
export const GENERATORS: Array<[string, number, Generator]> = [
  ['multipart', 22, genMultipart],
  ['put-name', 10, genPutName],
  ['range', 12, genRange],
  ['headers', 16, genHeaders],
  ['raw', 8, genRaw],
  ['api', 32, generateApi],
];

export function generate(rng: Rng, fx: Fixtures): FuzzRequest {
  const total = GENERATORS.reduce((s, [, w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [, w, g] of GENERATORS) {
    r -= w;
    if (r < 0) return g(rng, fx);
  }
  return GENERATORS[0]![2](rng, fx);
}
