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
import type { FuzzRequest } from './transport.js';

// ---------------------------------------------------------------------------------------------
// list JSON (pixeldrain POST /api/list, PUT /api/list/{id})

function nested(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

function listJson(rng: Rng, fx: Fixtures): string {
  const entry = () =>
    rng.pick<unknown>([
      { id: rng.pick(fx.fileIds), description: nastyName(rng) },
      { id: someId(rng, fx) },
      { id: 5 },
      { id: null },
      { id: [fx.fileIds[0]] },
      { id: { $gt: '' } },
      'string',
      42,
      null,
      { description: 'x'.repeat(rng.int(0, 100_000)) },
      { id: fx.fileIds[0], description: { nested: true } },
    ]);
  switch (rng.int(0, 9)) {
    case 0:
      return nested(rng.int(100, 200_000), '[', ']');
    case 1:
      return `{"files":${nested(rng.int(100, 100_000), '[', ']')}}`;
    case 2:
      return `{"title":"t","files":[${Array.from({ length: rng.int(1, 100_000) }, () => `{"id":"${rng.pick(fx.fileIds)}"}`).join(',')}]}`;
    case 3:
      return JSON.stringify({
        title: rng.pick<unknown>([nastyName(rng), 5, null, [], {}, 'x'.repeat(rng.int(0, 10_000))]),
        anonymous: rng.pick<unknown>([true, 'yes', 1, null]),
        files: rng.pick<unknown>([
          null,
          'files',
          {},
          7,
          Array.from({ length: rng.int(0, 20) }, entry),
        ]),
      });
    case 4:
      return '{"title":"a","files":[{"id":"' + fx.fileIds[0] + '"}';
    case 5:
      return rng.pick([
        '',
        'null',
        'true',
        '"s"',
        '[]',
        '{}',
        '{"__proto__":{"x":1},"files":[]}',
        '\ufeff{}',
        '{"files":[1e999]}',
      ]);
    case 6:
      return `{"title":"${'\\u0000'.repeat(rng.int(1, 1000))}","files":[{"id":"${fx.fileIds[0]}"}]}`;
    case 7:
      return `{"title":"\\ud800","files":[{"id":"${fx.fileIds[0]}","description":"\\udfff"}]}`;
    case 8:
      return rng.str(rng.int(1, 2000), '{}[]":,0123456789truefalsnul\\');
    default:
      return JSON.stringify({ title: 'ok', files: Array.from({ length: rng.int(0, 12) }, entry) });
  }
}

function genList(rng: Rng, fx: Fixtures): FuzzRequest {
  const body = Buffer.from(listJson(rng, fx));
  const [method, target] = rng.pick([
    ['POST', '/api/list'],
    ['POST', '/api/list'],
    ['PUT', `/api/list/${fx.listId}`],
    ['PUT', `/api/list/${encodeURIComponent(someId(rng, fx))}`],
    ['DELETE', `/api/list/${encodeURIComponent(someId(rng, fx))}`],
  ] as const);
  const headers: Headers = [...credentials(rng, fx, method === 'DELETE')];
  if (rng.chance(0.7))
    headers.push(['Content-Type', rng.chance(0.7) ? 'application/json' : rng.pick(CONTENT_TYPES)]);
  const length = rng.pick(['exact', 'exact', 'exact', 'exact', 'long', 'short'] as const);
  return request(rng, 'list-json', method, target, headers, body, { length });
}

// ---------------------------------------------------------------------------------------------
// FileBin forms

const FB_ENDPOINTS = [
  'file/upload',
  'file/delete',
  'file/history',
  'file/create_multipaste',
  'file/get_config',
  'user/create_apikey',
  'user/apikeys',
  'user/delete_apikey',
  'user/nope',
  '',
];

function formField(rng: Rng, fx: Fixtures, validKey: string): string {
  const key = rng.pick([
    'apikey',
    'apikey[]',
    'ids[]',
    'ids[0]',
    'ids[a][b]',
    'ids[',
    'ids]',
    'ids',
    'username',
    'password',
    'access_level',
    'comment',
    'delete_key',
    'minimum-id-length',
    '',
    '%',
    '%zz',
    'a'.repeat(rng.int(1, 3000)),
  ]);
  const value = rng.pick([
    validKey,
    fx.username,
    someId(rng, fx),
    rng.pick(['basic', 'apikey', 'full', 'root']),
    nastyName(rng),
    '%',
    '%E0%A4%A',
    String(rng.int(-5, 100)),
    'x'.repeat(rng.int(0, 20_000)),
  ]);
  const enc = (s: string) =>
    rng.chance(0.7) ? encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')) : s;
  return `${enc(key)}=${enc(value)}`;
}

function genFileBin(rng: Rng, fx: Fixtures): FuzzRequest {
  const version = rng.pick(['v2.2.0', 'v2.0.0', 'v1.0.0', 'v9', 'vx', 'v', 'v2.2.0.1']);
  const endpoint = rng.pick(FB_ENDPOINTS);
  const prefix = rng.pick(['/api/', '/index.php/api/']);
  // Deletes and key management may revoke or empty what they authenticate with.
  const valid = /delete|apikey/.test(endpoint) ? fx.spareKey : fx.key;
  const target = `${prefix}${version}/${endpoint}${rng.chance(0.2) ? `?apikey=${valid}&ids[]=x` : ''}`;
  // create_apikey with username/password costs a password hash: only sometimes.
  const fields = Array.from({ length: rng.int(0, 8) }, () => formField(rng, fx, valid)).filter(
    (f) => !f.startsWith('password') || rng.chance(0.2),
  );
  if (rng.chance(0.5)) fields.push(`apikey=${encodeURIComponent(rng.chance(0.8) ? valid : 'bad')}`);
  const body = Buffer.from(fields.join(rng.pick(['&', '&', '&&', ';'])), 'utf8');
  const headers: Headers = [];
  if (rng.chance(0.85))
    headers.push([
      'Content-Type',
      rng.chance(0.7) ? 'application/x-www-form-urlencoded' : rng.pick(CONTENT_TYPES),
    ]);
  const method = rng.pick(['POST', 'POST', 'POST', 'GET']);
  const length = rng.pick(['exact', 'exact', 'exact', 'long', 'short'] as const);
  return request(
    rng,
    'filebin-form',
    method,
    target,
    headers,
    method === 'GET' ? Buffer.alloc(0) : body,
    { length },
  );
}

// ---------------------------------------------------------------------------------------------
// Chevereto sources

function cheveretoSource(rng: Rng): string {
  const png1x1 =
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
  return rng.pick([
    png1x1,
    `data:image/png;base64,${png1x1}`,
    'data:;base64,',
    `data:image/png;base64,${png1x1.slice(0, rng.int(1, png1x1.length))}`,
    Buffer.from(rng.bytes(rng.logInt(1, 100_000))).toString('base64'),
    Buffer.from(rng.bytes(rng.logInt(1, 1000))).toString('base64url'),
    '====',
    '!!!not base64!!!',
    'http://127.0.0.1:1/x.png',
    'https://10.0.0.1/a.jpg',
    'file:///etc/passwd',
    'ftp://example.com/x',
    'gopher://127.0.0.1:6379/_INFO',
    'http://[::1]/',
    'http://' + 'a'.repeat(rng.int(100, 5000)) + '.example/x',
    'HTTP://LOCALHOST/x',
    'javascript:alert(1)',
    '',
    ' ',
    rng.str(rng.int(1, 3000), 'ABCabc012+/=%&\r\n'),
  ]);
}

function genChevereto(rng: Rng, fx: Fixtures): FuzzRequest {
  const key = rng.pick([fx.guestKey, fx.guestKey, fx.key, '', 'wrong', '%']);
  const params: string[] = [];
  if (rng.chance(0.9)) params.push(`key=${encodeURIComponent(key)}`);
  if (rng.chance(0.8)) params.push(`source=${encodeURIComponent(cheveretoSource(rng))}`);
  if (rng.chance(0.3)) params.push(`format=${rng.pick(['json', 'txt', 'xml', 'redirect', 'x'])}`);
  for (const f of [
    'title',
    'description',
    'tags',
    'album_id',
    'category_id',
    'width',
    'expiration',
    'nsfw',
  ])
    if (rng.chance(0.1))
      params.push(`${f}=${encodeURIComponent(nastyName(rng).replace(/[\ud800-\udfff]/g, ''))}`);
  if (rng.chance(0.05)) params.push('source=%ZZ', 'source[]=a');
  const path = rng.pick([
    '/api/1/upload',
    '/api/1/upload/',
    '/api/2/upload',
    '/api/1/nope',
    '/api/1/',
  ]);
  if (rng.chance(0.3)) {
    return request(rng, 'chevereto', 'GET', `${path}?${params.join('&')}`, [
      ...credentials(rng, fx),
    ]);
  }
  const headers: Headers = [
    [
      'Content-Type',
      rng.chance(0.8) ? 'application/x-www-form-urlencoded' : rng.pick(CONTENT_TYPES),
    ],
  ];
  if (rng.chance(0.2)) headers.push(['X-API-Key', key]);
  const length = rng.pick(['exact', 'exact', 'exact', 'long', 'short'] as const);
  return request(rng, 'chevereto', 'POST', path, headers, Buffer.from(params.join('&')), {
    length,
  });
}

// ---------------------------------------------------------------------------------------------
// reads with odd parameters, account endpoints, web pages

function genReads(rng: Rng, fx: Fixtures): FuzzRequest {
  const ids = () =>
    Array.from({ length: rng.logInt(1, 1500) }, () =>
      rng.chance(0.5) ? rng.pick(fx.fileIds) : someId(rng, fx),
    );
  const target = rng.pick([
    `/api/file/${ids().map(encodeURIComponent).join(',')}/info`,
    `/api/file/${encodeURIComponent(someId(rng, fx))}/info?${rng.str(rng.int(0, 100), 'ab=&%')}`,
    `/api/list/${encodeURIComponent(someId(rng, fx))}`,
    `/api/user/files?${rng.pick(['', 'limit=-1', 'limit=1e9', 'offset=x', 'sort=%'])}`,
    '/api/user/lists',
    '/api/user',
    '/api/user/session',
    `/u/${ids().slice(0, 200).map(encodeURIComponent).join(',')}`,
    `/l/${encodeURIComponent(someId(rng, fx))}`,
    `/misc/sharex/${segment(rng, nastyName(rng))}`,
    `/account/${segment(rng, nastyName(rng))}`,
    `/image/${encodeURIComponent(someId(rng, fx))}/delete/${rng.str(rng.int(0, 80))}`,
    `/${segment(rng, someId(rng, fx))}/${segment(rng, nastyName(rng))}`,
    `/res/${segment(rng, nastyName(rng))}`,
    `/api/docs/${segment(rng, nastyName(rng))}`,
    `/api/${segment(rng, nastyName(rng))}`,
    `/api/filesystem/${rng.pick(['me', someId(rng, fx), '%', ''])}/${segment(rng, nastyName(rng))}?${rng.pick(['stat', 'attach', 'bulk_download', 'thumbnail&width=x&height=99999', `search=${rng.str(rng.int(0, 120))}&limit=${rng.pick(['0', '5', '1e9', 'x'])}`, `change_log&start=${rng.pick(['x', '0', '2020-01-01T00:00:00Z'])}&end=%`, ''])}`,
    `/api/filesystem${rng.pick(['', '/', '/me', '/me/', '//..//', '/me/%2e%2e/x', '/me/a%00b'])}`,
    `/d/${segment(rng, nastyName(rng))}`,
  ]);
  const headers: Headers = [...credentials(rng, fx)];
  if (rng.chance(0.2))
    headers.push(['Accept', rng.pick(['*/*', 'text/html', 'application/json;q=x', '\u00ff'])]);
  if (rng.chance(0.2))
    headers.push(['User-Agent', rng.pick(['Wget/1.21', 'curl/8', '\u0000', 'x'.repeat(5000)])]);
  if (rng.chance(0.1))
    headers.push(['Sec-Fetch-Site', rng.pick(['cross-site', 'same-origin', '%'])]);
  return request(rng, 'reads', rng.pick(['GET', 'GET', 'HEAD']), target, headers);
}

function genAccount(rng: Rng, fx: Fixtures): FuzzRequest {
  const [method, target] = rng.pick([
    ['POST', '/api/user/register'],
    ['POST', '/api/user/login'],
    ['PUT', '/api/user'],
    ['PUT', '/api/user/password'],
    ['POST', '/api/user/session'],
    ['POST', `/api/file/${encodeURIComponent(someId(rng, fx))}`],
    [
      'PUT',
      `/api/file/${encodeURIComponent(someId(rng, fx))}/${rng.pick(['rename', 'x', 'copy'])}`,
    ],
    ['DELETE', `/api/file/${encodeURIComponent(someId(rng, fx))}?key=${rng.str(rng.int(0, 50))}`],
    ['POST', '/logout'],
    ['POST', `/api/filesystem/me/${segment(rng, nastyName(rng))}`],
    [
      'DELETE',
      `/api/filesystem/me/${segment(rng, nastyName(rng))}?recursive=${rng.pick(['true', 'x'])}`,
    ],
    [
      'PUT',
      `/api/filesystem/${rng.pick(['me', someId(rng, fx)])}/${segment(rng, nastyName(rng))}?make_parents=${rng.pick(['true', '1', ''])}&modified=${rng.pick(['x', '2024-02-30T99:00:00Z', '1e20', ''])}&mode=${rng.pick(['644', '9999', '-1', ''])}`,
    ],
  ] as const);
  // Password changes, deletes and logouts use the spare key: they may lock it out.
  const headers: Headers = [
    ...credentials(rng, fx, method === 'DELETE' || !target.startsWith('/api/file')),
  ];
  const form = [
    `username=${encodeURIComponent(rng.pick([fx.username, nastyName(rng).replace(/[\ud800-\udfff]/g, ''), '']))}`,
    rng.chance(0.3) ? `password=${encodeURIComponent(rng.str(rng.int(0, 300)))}` : '',
    rng.chance(0.3)
      ? `email=${encodeURIComponent(rng.pick(['a@b.c', '@', 'x'.repeat(400) + '@a.b', '%']))}`
      : '',
    rng.chance(0.3)
      ? `action=${rng.pick(['rename', 'copy', 'x', '%'])}&name=${encodeURIComponent(nastyName(rng).replace(/[\ud800-\udfff]/g, ''))}`
      : '',
    rng.chance(0.3)
      ? `action=${rng.pick(['mkdir', 'mkdirall', 'rename', 'update', 'import'])}&target=${encodeURIComponent(rng.pick(['/me/x', '/me', '/me/../..', nastyName(rng).replace(/[\ud800-\udfff]/g, '')]))}&files=${encodeURIComponent(rng.pick(['[]', '["x"]', '{', 'null']))}&link_permissions=${encodeURIComponent(rng.pick(['{', '[]', '{"read":1}', 'null', '']))}&user_permissions=${encodeURIComponent(rng.pick(['{"a":{}}', '{"a":1}', '"x"']))}&shared=${rng.pick(['true', 'x'])}&mode=${rng.pick(['7777', 'x'])}`
      : '',
  ]
    .filter(Boolean)
    .join('&');
  const body = rng.chance(0.8) ? Buffer.from(form) : someBody(rng);
  if (rng.chance(0.8))
    headers.push([
      'Content-Type',
      rng.chance(0.5) ? 'application/x-www-form-urlencoded' : rng.pick(CONTENT_TYPES),
    ]);
  if (rng.chance(0.2)) headers.push(['Origin', rng.pick(['http://evil.example', 'null', '%'])]);
  const length = rng.pick(['exact', 'exact', 'exact', 'long', 'short'] as const);
  return request(rng, 'account', method, target, headers, body, { length });
}

/** The API-level categories, picked with their weights. */
export function generateApi(rng: Rng, fx: Fixtures): FuzzRequest {
  const r = rng.int(0, 99);
  if (r < 20) return genList(rng, fx);
  if (r < 42) return genFileBin(rng, fx);
  if (r < 64) return genChevereto(rng, fx);
  if (r < 88) return genReads(rng, fx);
  return genAccount(rng, fx);
}
