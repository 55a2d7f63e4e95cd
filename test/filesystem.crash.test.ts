import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createUserWithKey,
  startServer,
  storedLocations,
  type TestServer,
} from './helpers.js';
import { blobLocations, pathsOf, treeProblems } from './fs-consistency.js';
import { crashingPut, nothingStaged, rawPut, serverSockets, waitFor } from './fs-crash.js';

const LIMIT = 256 * 1024;

/**
 * Uploads into the filesystem that do not finish (issue 16, item 3): a client gone mid-body, a
 * body over the size limit, a declared size over it. Nothing is visible at the path, nothing is
 * left staged, no reference is taken, and the server goes on serving.
 */
describe('filesystem PUTs that do not complete', () => {
  let server: TestServer;
  let sockets: net.Socket[];
  let key: string;
  let userId: string;
  const fs = (path: string) => `${server.url}/api/filesystem${path}`;
  const auth = () => ({ authorization: basic(key) });

  /** What must not change across a failed upload: the blob rows and what the store holds. */
  async function snapshot() {
    const db = server.app.runtime.db;
    return {
      blobs: await db.selectFrom('blobs').select(['key', 'refcount']).orderBy('key').execute(),
      stored: await storedLocations(server),
      nodes: await pathsOf(db, userId),
    };
  }

  async function expectNothingLeft(before: Awaited<ReturnType<typeof snapshot>>, path: string) {
    await waitFor(() => nothingStaged(server), 'the staged bytes to be removed');
    expect(await snapshot()).toEqual(before);
    const res = await fetch(fs(`${path}?stat`), { headers: auth() });
    expect(res.status).toBe(404);
    expect((await res.json()).value).toBe('path_not_found');
    expect(await treeProblems(server.app.runtime.db)).toEqual([]);
    expect(await storedLocations(server)).toEqual(await blobLocations(server.app.runtime.db));
    // Still serving: an upload right after works.
    const ok = await fetch(fs('/me/after.bin'), {
      method: 'PUT',
      headers: auth(),
      body: new Uint8Array(randomBytes(20_000)),
    });
    expect(ok.status).toBe(200);
    expect((await fetch(fs('/me/after.bin'), { method: 'DELETE', headers: auth() })).status).toBe(
      200,
    );
  }

  beforeAll(async () => {
    server = await startServer({ maxFileSize: LIMIT });
    sockets = serverSockets(server);
    key = await createUserWithKey(server, 'fscrash');
    userId = (await server.app.runtime.core.accounts.userByName('fscrash')).id;
    // Something there already: the crash must not touch it.
    const pre = await fetch(fs('/me/crash/keep.bin?make_parents=true'), {
      method: 'PUT',
      headers: auth(),
      body: new Uint8Array(randomBytes(30_000)),
    });
    expect(pre.status).toBe(200);
  });
  afterAll(() => server?.close());

  it('a client that sends half the declared body and vanishes leaves nothing behind', async () => {
    const before = await snapshot();
    await crashingPut(server, sockets, {
      path: '/api/filesystem/me/crash/new/half.bin?make_parents=true',
      auth: basic(key),
      declared: 200_000,
      sent: 100_000,
    });
    await expectNothingLeft(before, '/me/crash/new/half.bin');
    // Not even the parents it asked for.
    expect((await fetch(fs('/me/crash/new?stat'), { headers: auth() })).status).toBe(404);
  });

  it('a client that vanishes mid-overwrite leaves the old content in place', async () => {
    const before = await snapshot();
    const old = Buffer.from(
      await (await fetch(fs('/me/crash/keep.bin'), { headers: auth() })).arrayBuffer(),
    );
    await crashingPut(server, sockets, {
      path: '/api/filesystem/me/crash/keep.bin',
      auth: basic(key),
      declared: 200_000,
      sent: 150_000,
    });
    await waitFor(() => nothingStaged(server), 'the staged bytes to be removed');
    expect(await snapshot()).toEqual(before);
    const now = Buffer.from(
      await (await fetch(fs('/me/crash/keep.bin'), { headers: auth() })).arrayBuffer(),
    );
    expect(now.equals(old)).toBe(true);
  });

  it('a chunked body over the size limit: 413 file_too_large, nothing stored', async () => {
    const before = await snapshot();
    const r = await rawPut(server, sockets, {
      path: '/api/filesystem/me/crash/big.bin',
      auth: basic(key),
      headers: ['Transfer-Encoding: chunked'],
      bodyBytes: 3 * LIMIT,
    });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ success: false, value: 'file_too_large' });
    await expectNothingLeft(before, '/me/crash/big.bin');
  });

  it('a declared Content-Length over the limit is refused before the body is read', async () => {
    const before = await snapshot();
    const r = await rawPut(server, sockets, {
      path: '/api/filesystem/me/crash/declared.bin',
      auth: basic(key),
      headers: [`Content-Length: ${LIMIT + 1}`, 'Expect: 100-continue'],
      bodyBytes: 0,
      expectContinue: true,
    });
    // No "100 Continue": the client is told before it sends a byte of the body.
    expect(r.text).not.toContain('100 Continue');
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ success: false, value: 'file_too_large' });
    expect(r.serverRead).toBeLessThan(1024);
    await expectNothingLeft(before, '/me/crash/declared.bin');
  });

  it('a body of exactly the limit is stored', async () => {
    const body = randomBytes(LIMIT);
    const res = await fetch(fs('/me/crash/exact.bin'), {
      method: 'PUT',
      headers: auth(),
      body: new Uint8Array(body),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).file_size).toBe(LIMIT);
  });
});
