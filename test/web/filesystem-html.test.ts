// /d/{path} as tools read it (no browser): pixeldrain's `window.initial_node` in the first script
// is the path's stat, exactly as the API gives it; logins, 404s, shared links, hostile names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';

let server: TestServer;
let key: string;
beforeAll(async () => {
  server = await startServer();
  key = await createUserWithKey(server, 'dora');
});
afterAll(async () => {
  await server?.close();
});

const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/');

async function fsApi(
  method: string,
  path: string,
  opts: { query?: string; form?: Record<string, string>; body?: string; auth?: boolean } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.auth !== false) headers.Authorization = basic(key);
  let body: string | undefined = opts.body;
  if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  return fetch(`${server.url}/api/filesystem/${enc(path)}${opts.query ?? ''}`, {
    method,
    headers,
    body,
  });
}

async function mkdir(path: string) {
  const r = await fsApi('POST', path, { form: { action: 'mkdir' } });
  expect(r.status, await r.clone().text()).toBe(201);
}

async function put(path: string, text: string) {
  const r = await fsApi('PUT', path, { body: text, query: '?make_parents=true' });
  expect(r.status, await r.clone().text()).toBe(200);
}

/** The first script's `window.initial_node = {...};`, as a scraper reads it. */
function initialNodeOf(html: string): Record<string, unknown> {
  const first = /<script\b[^>]*>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const m = /window\.initial_node\s*=\s*({.*?});/.exec(first);
  expect(m, 'initial_node in the first script').not.toBeNull();
  return JSON.parse(m![1]!) as Record<string, unknown>;
}

async function page(path: string, auth = true) {
  return fetch(`${server.url}${path}`, {
    headers: { Accept: 'text/html', ...(auth ? { Authorization: basic(key) } : {}) },
    redirect: 'manual',
  });
}

describe('GET /d/{path}', () => {
  it('embeds the stat of a directory as window.initial_node, equal to ?stat', async () => {
    await mkdir('me/docs');
    await put('me/docs/todo.txt', 'buy milk');
    const r = await page('/d/me/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await r.text();
    const node = initialNodeOf(html);
    const api = (await (await fsApi('GET', 'me/docs', { query: '?stat' })).json()) as Record<
      string,
      unknown
    >;
    expect(node).toEqual(api);
    const path = node.path as Array<{ path: string; type: string }>;
    expect(path.map((n) => n.path)).toEqual(['/me', '/me/docs']);
    expect(path[node.base_index as number]!.path).toBe('/me/docs');
    expect((node.children as Array<{ name: string }>).map((c) => c.name)).toEqual(['todo.txt']);
    expect(node.permissions).toMatchObject({ owner: true, read: true, write: true, delete: true });
    // Rendered on the server: the listing is in the HTML before any script runs.
    expect(html).toContain('todo.txt');
    expect(html).toContain('<title>docs ~ Stowage</title>');
  });

  it('the stat of a file: the path ends with the file', async () => {
    const r = await page('/d/me/docs/todo.txt');
    expect(r.status).toBe(200);
    const node = initialNodeOf(await r.text());
    const path = node.path as Array<{ path: string; type: string }>;
    expect(path[node.base_index as number]).toMatchObject({
      path: '/me/docs/todo.txt',
      type: 'file',
      file_size: 8,
    });
  });

  it('/d/me: the root of the own tree; each component decoded on its own', async () => {
    await mkdir('me/a b#c%d');
    await put('me/a b#c%d/x?y.txt', 'x');
    const root = initialNodeOf(await (await page('/d/me')).text());
    expect((root.path as Array<{ path: string }>).map((n) => n.path)).toEqual(['/me']);
    const r = await page(`/d/me/${encodeURIComponent('a b#c%d')}/${encodeURIComponent('x?y.txt')}`);
    expect(r.status).toBe(200);
    const node = initialNodeOf(await r.text());
    const path = node.path as Array<{ path: string }>;
    expect(path[node.base_index as number]!.path).toBe('/me/a b#c%d/x?y.txt');
  });

  it('also answers HEAD', async () => {
    const r = await fetch(`${server.url}/d/me/docs`, {
      method: 'HEAD',
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('/d/me logged out: 303 to the login page, coming back after', async () => {
    for (const path of ['/d/me', '/d/me/docs']) {
      const r = await page(path, false);
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe(`/login?redirect=${encodeURIComponent(path)}`);
    }
  });

  it('a path that does not exist, or an unknown share: the 404 page', async () => {
    for (const path of ['/d/me/nothing-here', '/d/me/docs/todo.txt/deeper', '/d/zzzzzzzz']) {
      const r = await page(path);
      expect(r.status, path).toBe(404);
      const html = await r.text();
      expect(html).toContain('Not found');
      expect(html).not.toContain('initial_node');
    }
    // A slash inside a component: no node has such a name.
    expect((await page('/d/me/a%2Fb')).status).toBe(404);
  });

  it('a shared folder: /d/{id} for anyone, paths under the share id, read only', async () => {
    await mkdir('me/public');
    await put('me/public/readme.txt', 'hello');
    const shared = (await (
      await fsApi('POST', 'me/public', { form: { action: 'update', shared: 'true' } })
    ).json()) as { id: string };
    expect(shared.id).toMatch(/^[A-Za-z0-9]+$/);
    const r = await page(`/d/${shared.id}`, false);
    expect(r.status).toBe(200);
    const node = initialNodeOf(await r.text());
    const path = node.path as Array<{ path: string }>;
    expect(path[0]!.path).toBe(`/${shared.id}`);
    expect((node.children as Array<{ path: string }>).map((c) => c.path)).toEqual([
      `/${shared.id}/readme.txt`,
    ]);
    expect(node.permissions).toMatchObject({ write: false, delete: false });
    // The same for a logged-in visitor who does not own it.
    const other = await createUserWithKey(server, 'otto');
    const r2 = await fetch(`${server.url}/d/${shared.id}/readme.txt`, {
      headers: { Authorization: basic(other) },
    });
    expect(r2.status).toBe(200);
    expect(initialNodeOf(await r2.text()).base_index).toBe(1);
  });

  it('hostile names stay text: the script cannot be closed, markup is escaped', async () => {
    // (A name cannot hold "/", so it cannot close a tag by itself: the markup is the danger.)
    const evil = '<img src=x onerror=alert(1)>;"\'';
    await mkdir(`me/${evil}`);
    const html = await (await page('/d/me')).text();
    expect(html).not.toContain('<img src=x');
    const node = initialNodeOf(html);
    expect((node.children as Array<{ name: string }>).map((c) => c.name)).toContain(evil);
  });
});
