// The viewer pages' HTML as download tools and link unfurlers read it (no browser needed):
// pixeldrain's `window.viewer_data` in the first script, OpenGraph tags, Wget redirects, the
// security headers, and hostile names staying inert.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';

const WEB_DIR = process.env.STOWAGE_TEST_WEB_DIR ?? path.join(ROOT, 'dist/web');

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

async function put(name: string, body: string | Buffer, key?: string) {
  const r = await fetch(`${server.url}/api/file/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: key ? { Authorization: basic(key) } : {},
  });
  expect(r.status).toBe(201);
  return (await r.json()) as { id: string; name: string; size: number; hash_sha256: string };
}

/** The scraper's way: the first <script>, then `window.viewer_data = {...};` by regex. */
function viewerDataOf(html: string): Record<string, unknown> {
  const first = /<script\b[^>]*>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const m = /window\.viewer_data\s*=\s*({.*?});/.exec(first);
  expect(m, 'viewer_data in the first script').not.toBeNull();
  return JSON.parse(m![1]!) as Record<string, unknown>;
}

function meta(html: string, key: string): string | null {
  const re = new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)">`);
  return re.exec(html)?.[1] ?? null;
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('GET /u/{id}', () => {
  it('embeds FileInfo as window.viewer_data on one line of the first script', async () => {
    const f = await put('photo.png', PNG);
    const r = await fetch(`${server.url}/u/${f.id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await r.text();
    const vd = viewerDataOf(html);
    expect(vd.type).toBe('file');
    const info = vd.api_response as Record<string, unknown>;
    expect(info).toMatchObject({ id: f.id, name: 'photo.png', size: PNG.length });
    expect(info.hash_sha256).toBe(f.hash_sha256);
    // The same object the API gives (minus counters that move).
    const api = (await (await fetch(`${server.url}/api/file/${f.id}/info`)).json()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(info)).toEqual(Object.keys(api));
    // The page is rendered with its data: name and size are in the HTML itself.
    expect(html).toContain('<title>photo.png ~ Stowage</title>');
  });

  it('carries OpenGraph and Twitter tags by type: image, video, audio, other', async () => {
    const img = await put('cat.png', PNG);
    const html = await (await fetch(`${server.url}/u/${img.id}`)).text();
    expect(meta(html, 'og:title')).toBe('cat.png');
    expect(meta(html, 'og:image')).toBe(`${server.url}/api/file/${img.id}`);
    expect(meta(html, 'og:url')).toBe(`${server.url}/u/${img.id}`);
    expect(meta(html, 'twitter:card')).toBe('summary_large_image');

    const txt = await put('notes.txt', 'hello');
    const t = await (await fetch(`${server.url}/u/${txt.id}`)).text();
    expect(meta(t, 'og:image')).toBe(`${server.url}/api/file/${txt.id}/thumbnail`);
    expect(meta(t, 'twitter:card')).toBe('summary');

    const wav = await put(
      'tone.wav',
      Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(64)]),
    );
    const w = await (await fetch(`${server.url}/u/${wav.id}`)).text();
    expect(meta(w, 'og:audio')).toBe(`${server.url}/api/file/${wav.id}`);
  });

  it('sends Wget to the file itself (303), and other agents the page', async () => {
    const f = await put('a.bin', 'x');
    const r = await fetch(`${server.url}/u/${f.id}`, {
      headers: { 'User-Agent': 'Wget/1.21.3' },
      redirect: 'manual',
    });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/api/file/${f.id}`);
    const page = await fetch(`${server.url}/u/${f.id}`, { headers: { 'User-Agent': 'curl/8' } });
    expect(page.status).toBe(200);
  });

  it('answers 404 with the site’s page for a missing file', async () => {
    const r = await fetch(`${server.url}/u/nosuchfile`);
    expect(r.status).toBe(404);
    const html = await r.text();
    expect(html).toContain('File not found');
    expect(html).not.toContain('viewer_data');
  });

  it('sets a strict CSP with a fresh nonce on the inline script, noindex, nosniff', async () => {
    const f = await put('b.txt', 'y');
    const a = await fetch(`${server.url}/u/${f.id}`);
    const b = await fetch(`${server.url}/u/${f.id}`);
    const csp = a.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}'/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("worker-src 'self';");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('blob: ;');
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toBe(b.headers.get('content-security-policy'));
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    const html = await a.text();
    // Every inline script carries the nonce; the others are our own /res/ files.
    for (const [tag] of html.matchAll(/<script\b[^>]*>/g)) {
      expect(tag.includes(`nonce="${nonce}"`) || /src="\/res\/[^"]+\.js"/.test(tag), tag).toBe(
        true,
      );
    }
    expect(a.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keeps a hostile file name inert in the title, the tags and the script', async () => {
    // No slash: names are file names. `<` alone must not open anything either.
    const evil = `<script>alert(1)<"><img src=x onerror=alert(2)>};x.png`;
    const f = await put(evil, PNG);
    const html = await (await fetch(`${server.url}/u/${f.id}`)).text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    // Still parseable by the scrapers' regex, with the name intact.
    expect((viewerDataOf(html).api_response as { name: string }).name).toBe(evil);
    expect(meta(html, 'og:title')).toBe(evil.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`));
  });

  it('counts no view for the page itself (the viewer’s websocket does), nor for Wget or the API', async () => {
    const f = await put('views.txt', 'v');
    await fetch(`${server.url}/u/${f.id}`);
    await fetch(`${server.url}/u/${f.id}`);
    await fetch(`${server.url}/u/${f.id}`, {
      headers: { 'User-Agent': 'Wget/1.0' },
      redirect: 'manual',
    });
    await fetch(`${server.url}/api/file/${f.id}/info`);
    await server.app.runtime.core.traffic.flush();
    const info = (await (await fetch(`${server.url}/api/file/${f.id}/info`)).json()) as {
      views: number;
    };
    expect(info.views).toBe(0);
  });

  it('shows comma-separated ids as a virtual list of the files found', async () => {
    const a = await put('one.txt', '1');
    const b = await put('two.txt', '2');
    const html = await (await fetch(`${server.url}/u/${a.id},${b.id},missing1`)).text();
    const vd = viewerDataOf(html);
    expect(vd.type).toBe('list');
    const list = vd.api_response as { file_count: number; files: { id: string }[] };
    expect(list.file_count).toBe(2);
    expect(list.files.map((x) => x.id)).toEqual([a.id, b.id]);
    expect(html).toContain('<title>2 files ~ Stowage</title>');
  });

  it('marks the owner’s file as editable and nobody else’s', async () => {
    const key = await createUserWithKey(server, 'viewerowner');
    const f = await put('mine.txt', 'm', key);
    const cookie = { Cookie: `pd_auth_key=${key}` };
    const own = viewerDataOf(
      await (await fetch(`${server.url}/u/${f.id}`, { headers: cookie })).text(),
    );
    expect((own.api_response as { can_edit: boolean }).can_edit).toBe(true);
    const anon = viewerDataOf(await (await fetch(`${server.url}/u/${f.id}`)).text());
    expect((anon.api_response as { can_edit: boolean }).can_edit).toBe(false);
  });
});

describe('GET /l/{id}', () => {
  it('embeds ListInfo, sends Wget to the zip, 404s a missing list', async () => {
    const a = await put('l1.txt', '1');
    const b = await put('l2.png', PNG);
    const created = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        title: 'Holiday <b>pics</b>',
        anonymous: true,
        files: [{ id: a.id }, { id: b.id }],
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const html = await (await fetch(`${server.url}/l/${id}`)).text();
    const vd = viewerDataOf(html);
    expect(vd.type).toBe('list');
    expect(vd.api_response).toMatchObject({ id, title: 'Holiday <b>pics</b>', file_count: 2 });
    expect(html).toContain('<title>Holiday &#60;b&#62;pics&#60;/b&#62; ~ Stowage</title>');
    expect(meta(html, 'og:url')).toBe(`${server.url}/l/${id}`);

    const wget = await fetch(`${server.url}/l/${id}`, {
      headers: { 'User-Agent': 'Wget/1.21' },
      redirect: 'manual',
    });
    expect(wget.status).toBe(303);
    expect(wget.headers.get('location')).toBe(`/api/list/${id}/zip`);

    expect((await fetch(`${server.url}/l/nosuchlist`)).status).toBe(404);
  });
});

describe('pages and assets', () => {
  it('serves hashed assets for a year, gzipped when asked, and 404s unknown ones', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const js = /<script type="module" src="(\/res\/[^"]+\.js)"/.exec(html)?.[1];
    expect(js).toBeTruthy();
    const r = await fetch(`${server.url}${js}`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = r.headers.get('etag')!;
    const again = await fetch(`${server.url}${js}`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${server.url}/res/nope-123.js`)).status).toBe(404);
    // PDF.js's worker is a module worker: it must come as JavaScript.
    const manifest = JSON.parse(
      fs.readFileSync(path.join(WEB_DIR, 'client/.vite/manifest.json'), 'utf8'),
    ) as Record<string, { file: string; assets?: string[] }>;
    const worker = Object.values(manifest)
      .flatMap((c) => [c.file, ...(c.assets ?? [])])
      .find((f) => /^res\/pdf\.worker\.min-.*\.mjs$/.test(f));
    expect(worker).toBeTruthy();
    const w = await fetch(`${server.url}/${worker}`);
    expect(w.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${server.url}/res/..%2Fserver%2Frender.js`)).status).toBe(404);
  });

  it('gives browsers the site’s 404 page for unknown paths, others plain text', async () => {
    const page = await fetch(`${server.url}/no/such/page`, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Page not found');
    const plain = await fetch(`${server.url}/no/such/page`);
    expect(plain.status).toBe(404);
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('sends /account to the login page when logged out, keeping where to come back', async () => {
    const r = await fetch(`${server.url}/account/keys`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/login?redirect=%2Faccount%2Fkeys');
  });

  it('refuses to redirect a login to another site', async () => {
    const key = await createUserWithKey(server, 'redirecter');
    for (const target of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const r = await fetch(`${server.url}/login?redirect=${encodeURIComponent(target)}`, {
        headers: { Cookie: `pd_auth_key=${key}` },
        redirect: 'manual',
      });
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe('/');
    }
  });

  it('logs out: the session key stops working and the cookie is cleared', async () => {
    const key = await createUserWithKey(server, 'leaver');
    const r = await fetch(`${server.url}/logout`, {
      method: 'POST',
      headers: { Cookie: `pd_auth_key=${key}`, Origin: server.url },
      redirect: 'manual',
    });
    expect(r.status).toBe(303);
    expect(r.headers.get('set-cookie')).toMatch(/^pd_auth_key=; Max-Age=0/);
    expect(
      (await fetch(`${server.url}/api/user`, { headers: { Authorization: basic(key) } })).status,
    ).toBe(401);
  });

  it('refuses a logout posted from another site', async () => {
    const key = await createUserWithKey(server, 'stayer');
    const r = await fetch(`${server.url}/logout`, {
      method: 'POST',
      headers: { Cookie: `pd_auth_key=${key}`, Origin: 'https://evil.example' },
      redirect: 'manual',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { value: string }).value).toBe('request_origin_invalid');
    expect(
      (await fetch(`${server.url}/api/user`, { headers: { Authorization: basic(key) } })).status,
    ).toBe(200);
  });
});
