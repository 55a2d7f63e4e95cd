// The uploader recipes of the API keys page (web/src/lib/account/uploaders.ts), run as shown
// against a real server: the curl one-liner, the Flameshot script (with stand-ins for flameshot
// and the clipboard tools) and the iOS Shortcut's request. And the upload-only key they use.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote, uploaderRecipes } from '../web/src/lib/account/uploaders.js';
import { basic, createUserWithKey, startServer, tempDir, type TestServer } from './helpers.js';
import { bash, fakeTools, PNG } from './recipes-helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('uploader recipes', () => {
  let s: TestServer;
  let dir: string;
  let uploadKey: string;
  let fullKey: string;

  beforeAll(async () => {
    s = await startServer();
    dir = await tempDir('stowage-recipes-');
    fullKey = await createUserWithKey(s, 'alice');
    // The key the keys page makes for the recipes: upload-only.
    const r = await fetch(`${s.url}/api/user/session`, {
      method: 'POST',
      headers: { Authorization: basic(fullKey) },
      body: new URLSearchParams({ app_name: 'uploader', access_level: 'basic' }),
    });
    expect(r.status).toBe(201);
    uploadKey = ((await r.json()) as Json).auth_key as string;
  });
  afterAll(async () => {
    await s?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  async function myFiles(): Promise<Json[]> {
    const r = await fetch(`${s.url}/api/user/files`, {
      headers: { Authorization: basic(fullKey) },
    });
    return ((await r.json()) as Json).files as Json[];
  }

  it('the upload key uploads and can do nothing else; an unknown level is refused', async () => {
    const put = await fetch(`${s.url}/api/file/a.txt`, {
      method: 'PUT',
      headers: { Authorization: basic(uploadKey) },
      body: 'a',
    });
    expect(put.status).toBe(201);
    const list = await fetch(`${s.url}/api/user/files`, {
      headers: { Authorization: basic(uploadKey) },
    });
    expect(list.status).toBe(403);
    const bad = await fetch(`${s.url}/api/user/session`, {
      method: 'POST',
      headers: { Authorization: basic(fullKey) },
      body: new URLSearchParams({ app_name: 'x', access_level: 'root' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).errors[0]).toMatchObject({
      value: 'enum_parse_failed',
      extra: { field: 'access_level', allowed_values: ['basic', 'apikey', 'full'] },
    });
  });

  it('carry the origin and the key', () => {
    const r = uploaderRecipes(`${s.url}/`, uploadKey);
    expect(r.curl).toBe(`curl -T file.txt -u ':${uploadKey}' '${s.url}/api/file/'`);
    expect(r.flameshot).toContain(`'${s.url}/api/file/screenshot.png'`);
    expect(r.flameshot).toContain(`-u ':${uploadKey}'`);
    expect(r.authorization).toBe(basic(uploadKey));
    const text = r.shortcut.flatMap((step) => [step.action, ...step.settings]).join('\n');
    expect(text).toContain(`${s.url}/api/file/`);
    expect(text).toContain(`Authorization = ${basic(uploadKey)}`);
    expect(text).toContain('Method: PUT');
    expect(text).toContain(`${s.url}/u/`);
  });

  it('the curl one-liner uploads file.txt into the account', async () => {
    await fs.writeFile(path.join(dir, 'file.txt'), 'sent by the curl recipe\n');
    const { code, out, err } = await bash(uploaderRecipes(s.url, uploadKey).curl, dir);
    expect(code, err).toBe(0);
    const body = JSON.parse(out) as Json;
    expect(body).toMatchObject({ success: true, name: 'file.txt' });
    expect((await myFiles()).map((f) => f.id)).toContain(body.id);
    const got = await (await fetch(`${s.url}/api/file/${body.id}`)).text();
    expect(got).toBe('sent by the curl recipe\n');
  });

  it('the Flameshot script uploads the capture and copies the link', async () => {
    const bin = await fakeTools(dir);
    const script = path.join(dir, 'shot');
    await fs.writeFile(script, uploaderRecipes(s.url, uploadKey).flameshot, { mode: 0o755 });
    const { code, out, err } = await bash(shellQuote(script), dir, { PATH: bin });
    expect(code, err).toBe(0);
    const link = out.trim();
    expect(link).toMatch(new RegExp(`^${s.url}/u/\\w+$`));
    expect(await fs.readFile(path.join(dir, 'clipboard'), 'utf8')).toBe(link);
    const id = link.split('/u/')[1]!;
    const bytes = Buffer.from(await (await fetch(`${s.url}/api/file/${id}`)).arrayBuffer());
    expect(bytes.equals(PNG)).toBe(true);
    expect((await (await fetch(`${s.url}/api/file/${id}/info`)).json()) as Json).toMatchObject({
      name: 'screenshot.png',
      mime_type: 'image/png',
    });
  });

  it('the Shortcut: PUT with its Authorization header, the id, the link', async () => {
    const r = uploaderRecipes(s.url, uploadKey);
    // Get Contents of URL: the URL the recipe names plus the input's name, PUT, the header.
    const put = await fetch(`${s.url}/api/file/${encodeURIComponent('IMG_0001.png')}`, {
      method: 'PUT',
      headers: { Authorization: r.authorization },
      body: PNG,
    });
    expect(put.status).toBe(201);
    const id = ((await put.json()) as Json).id as string;
    const page = await fetch(`${s.url}/u/${id}`);
    expect(page.status).toBe(200);
    expect((await myFiles()).map((f) => f.id)).toContain(id);
  });
});
