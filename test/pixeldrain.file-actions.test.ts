import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** POST /api/file/{id} (rename) and POST /api/file with grab_file, over real HTTP. */

type Json = Record<string, unknown>;
type Info = Json & { id: string; name: string; size: number; hash_sha256: string };

const OK_BODY =
  '{"success":true,"value":"ok","message":"The requested action was successfully performed"}';
const CREATED_FILE = /^\{"success":true,"id":"[A-Za-z0-9]{8}"\}$/;

describe('pixeldrain file actions', () => {
  let s: TestServer;
  let owner: string;
  let other: string;

  const auth = (k: string) => ({ Authorization: basic(k) });
  const upload = async (name: string, body: string | Uint8Array, k = owner): Promise<Info> => {
    const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: auth(k),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return (await r.json()) as Info;
  };
  const info = async (id: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${s.url}/api/file/${id}/info`, { headers });
    expect(r.status).toBe(200);
    return (await r.json()) as Info;
  };
  const urlencoded = (fields: Record<string, string>) => new URLSearchParams(fields);
  const multipart = (fields: Record<string, string>) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  };
  const action = (
    id: string,
    body: URLSearchParams | FormData,
    headers: Record<string, string> = auth(owner),
  ) => fetch(`${s.url}/api/file/${id}`, { method: 'POST', body, headers });
  const expectError = async (r: Response, status: number, value: string) => {
    const text = await r.text();
    expect(r.status, text).toBe(status);
    const body = JSON.parse(text) as Json;
    expect(body).toMatchObject({ success: false, value, message: expect.any(String) });
    return body;
  };

  beforeAll(async () => {
    s = await startServer();
    owner = await createUserWithKey(s, 'owner');
    other = await createUserWithKey(s, 'other');
  });
  afterAll(() => s.close());

  describe('POST /api/file/{id} action=rename', () => {
    it('urlencoded, by the owner: 200 ok and the new name everywhere', async () => {
      const f = await upload('old name.txt', 'rename me');
      const r = await action(f.id, urlencoded({ action: 'rename', name: 'new name ✓.txt' }));
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      expect((await info(f.id)).name).toBe('new name ✓.txt');
      const d = await fetch(`${s.url}/api/file/${f.id}?download`);
      expect(d.status).toBe(200);
      expect(
        decodeURIComponent(
          /filename\*=UTF-8''([^;]+)/.exec(d.headers.get('content-disposition') ?? '')?.[1] ?? '',
        ),
      ).toBe('new name ✓.txt');
      expect(await d.text()).toBe('rename me');
    });

    it('multipart/form-data, by the owner', async () => {
      const f = await upload('mp-old.txt', 'rename me too');
      // Warm the metadata cache: the rename must not be hidden by it.
      await info(f.id);
      const r = await action(f.id, multipart({ action: 'rename', name: 'mp-new.txt' }));
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      expect((await info(f.id)).name).toBe('mp-new.txt');
    });

    it('through the pd_auth_key cookie as the web UI sends it', async () => {
      const f = await upload('cookie-old.txt', 'cookie rename');
      const r = await action(f.id, urlencoded({ action: 'rename', name: 'cookie-new.txt' }), {
        Cookie: `pd_auth_key=${owner}`,
        Origin: s.url,
      });
      expect(r.status).toBe(200);
      expect((await info(f.id)).name).toBe('cookie-new.txt');
    });

    it('another user -> 403 forbidden; no key -> 401; a bad key -> 401; the name stays', async () => {
      const f = await upload('guarded.txt', 'guarded');
      const body = () => urlencoded({ action: 'rename', name: 'stolen.txt' });
      await expectError(await action(f.id, body(), auth(other)), 403, 'forbidden');
      await expectError(await action(f.id, body(), {}), 401, 'authentication_required');
      await expectError(
        await action(f.id, body(), auth(randomUUID())),
        401,
        'authentication_failed',
      );
      // An anonymous upload belongs to nobody: nobody may rename it.
      const anon = await fetch(`${s.url}/api/file/anon.txt`, { method: 'PUT', body: 'anon' });
      const anonId = ((await anon.json()) as Info).id;
      await expectError(await action(anonId, body()), 403, 'forbidden');
      expect((await info(f.id)).name).toBe('guarded.txt');
      expect((await info(anonId)).name).toBe('anon.txt');
    });

    it('a bad name -> 422 name_contains_illegal_character; too long -> 422 string_out_of_range', async () => {
      const f = await upload('valid.txt', 'valid');
      for (const bad of ['dir/file.txt', 'back\\slash', 'new\nline', '..']) {
        await expectError(
          await action(f.id, urlencoded({ action: 'rename', name: bad })),
          422,
          'name_contains_illegal_character',
        );
      }
      for (const bad of ['', 'x'.repeat(256)]) {
        const body = await expectError(
          await action(f.id, urlencoded({ action: 'rename', name: bad })),
          422,
          'string_out_of_range',
        );
        expect(body.extra).toMatchObject({ field: 'name', max_len: 255 });
      }
      expect((await info(f.id)).name).toBe('valid.txt');
      // 255 characters are fine.
      const r = await action(f.id, urlencoded({ action: 'rename', name: 'y'.repeat(255) }));
      expect(r.status).toBe(200);
      expect((await info(f.id)).name).toBe('y'.repeat(255));
    });

    it('an unknown action -> 422 enum_parse_failed listing the allowed values', async () => {
      const f = await upload('enum.txt', 'enum');
      const body = await expectError(
        await action(f.id, urlencoded({ action: 'explode', name: 'x.txt' })),
        422,
        'enum_parse_failed',
      );
      expect(body.extra).toMatchObject({ allowed_values: expect.arrayContaining(['rename']) });
      expect((await info(f.id)).name).toBe('enum.txt');
    });

    it('a missing name (or action) -> 400 multiple_errors with missing_field', async () => {
      const f = await upload('missing.txt', 'missing');
      for (const [fields, field] of [
        [{ action: 'rename' }, 'name'],
        [{ name: 'x.txt' }, 'action'],
      ] as const) {
        const body = (await expectError(
          await action(f.id, urlencoded(fields)),
          400,
          'multiple_errors',
        )) as { errors: Json[] };
        expect(body.errors).toEqual([
          {
            success: false,
            value: 'missing_field',
            message: expect.any(String),
            extra: { field },
          },
        ]);
      }
    });

    it('an unknown file -> 404 not_found', async () => {
      for (const id of ['NoSuchF1', 'bad-id!']) {
        await expectError(
          await action(encodeURIComponent(id), urlencoded({ action: 'rename', name: 'x.txt' })),
          404,
          'not_found',
        );
      }
    });
  });

  describe('POST /api/file with grab_file', () => {
    let original: Info;
    let originalBytes: Buffer;

    beforeAll(async () => {
      // Bigger than what is kept inline in the database: the copy shares a blob on disk.
      originalBytes = randomBytes(200_000);
      original = await upload('grab me.bin', originalBytes, owner);
    });

    const grab = async (id: string, k: string, kind: 'multipart' | 'urlencoded') => {
      const body =
        kind === 'multipart' ? multipart({ grab_file: id }) : urlencoded({ grab_file: id });
      return fetch(`${s.url}/api/file`, { method: 'POST', body, headers: auth(k) });
    };

    for (const kind of ['multipart', 'urlencoded'] as const) {
      it(`${kind}: 201 exactly {"success":true,"id"}; the copy belongs to the grabber`, async () => {
        const r = await grab(original.id, other, kind);
        const text = await r.text();
        expect(r.status, text).toBe(201);
        expect(text).toMatch(CREATED_FILE);
        const { id } = JSON.parse(text) as { id: string };
        expect(id).not.toBe(original.id);

        const copy = await info(id, auth(other));
        expect(copy).toMatchObject({
          id,
          name: original.name,
          size: original.size,
          hash_sha256: original.hash_sha256,
          mime_type: original.mime_type,
          can_edit: true,
          views: 0,
          downloads: 0,
        });
        expect((await info(id, auth(owner))).can_edit).toBe(false);
        expect((await info(original.id, auth(other))).can_edit).toBe(false);
        expect((await info(original.id, auth(owner))).can_edit).toBe(true);

        const mine = (await (
          await fetch(`${s.url}/api/user/files`, { headers: auth(other) })
        ).json()) as { files: Info[] };
        expect(mine.files.map((f) => f.id)).toContain(id);
        expect(mine.files.map((f) => f.id)).not.toContain(original.id);
        const theirs = (await (
          await fetch(`${s.url}/api/user/files`, { headers: auth(owner) })
        ).json()) as { files: Info[] };
        expect(theirs.files.map((f) => f.id)).not.toContain(id);

        // The grabber may rename their copy; the original keeps its name.
        const rn = await action(
          id,
          urlencoded({ action: 'rename', name: 'my copy.bin' }),
          auth(other),
        );
        expect(rn.status).toBe(200);
        expect((await info(original.id)).name).toBe('grab me.bin');
      });
    }

    it('deleting the original keeps the copy downloadable with identical bytes', async () => {
      const bytes = randomBytes(150_000);
      const src = await upload('ephemeral.bin', bytes, owner);
      const r = await grab(src.id, other, 'urlencoded');
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      const d = await fetch(`${s.url}/api/file/${src.id}`, {
        method: 'DELETE',
        headers: auth(owner),
      });
      expect(d.status).toBe(200);
      expect((await fetch(`${s.url}/api/file/${src.id}/info`)).status).toBe(404);

      const g = await fetch(`${s.url}/api/file/${id}`);
      expect(g.status).toBe(200);
      const got = Buffer.from(await g.arrayBuffer());
      expect(got.length).toBe(bytes.length);
      expect(createHash('sha256').update(got).digest('hex')).toBe(
        createHash('sha256').update(bytes).digest('hex'),
      );
      // And the other way round: deleting the copy leaves nothing behind for the original's owner.
      expect(
        (await fetch(`${s.url}/api/file/${id}`, { method: 'DELETE', headers: auth(other) })).status,
      ).toBe(200);
      expect((await fetch(`${s.url}/api/file/${id}`)).status).toBe(404);
    });

    it('a small (inline) file can be grabbed too', async () => {
      const src = await upload('tiny.txt', 'tiny content', owner);
      const r = await grab(src.id, other, 'multipart');
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      await fetch(`${s.url}/api/file/${src.id}`, { method: 'DELETE', headers: auth(owner) });
      expect(await (await fetch(`${s.url}/api/file/${id}`)).text()).toBe('tiny content');
    });

    it('without a key -> 401 authentication_required, nothing is created', async () => {
      for (const kind of ['multipart', 'urlencoded'] as const) {
        const body =
          kind === 'multipart'
            ? multipart({ grab_file: original.id })
            : urlencoded({ grab_file: original.id });
        await expectError(
          await fetch(`${s.url}/api/file`, { method: 'POST', body }),
          401,
          'authentication_required',
        );
        await expectError(
          await fetch(`${s.url}/api/file`, {
            method: 'POST',
            body:
              kind === 'multipart'
                ? multipart({ grab_file: original.id })
                : urlencoded({ grab_file: original.id }),
            headers: auth(randomUUID()),
          }),
          401,
          'authentication_failed',
        );
      }
    });

    it('a missing id -> 404 not_found', async () => {
      for (const kind of ['multipart', 'urlencoded'] as const) {
        for (const id of ['NoSuchF1', 'bad-id!']) {
          await expectError(await grab(id, other, kind), 404, 'not_found');
        }
      }
    });
  });
});
