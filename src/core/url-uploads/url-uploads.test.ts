import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { RemoteFetchError, type RemoteFile, type RemoteSource } from '../remote.js';
import { UrlUploads } from './index.js';

const SETTINGS = { enabled: true, maxBytes: 1000, timeoutMs: 1000 };

/** A RemoteSource serving `body` (and recording what it was asked). */
function source(body: () => Readable, size: number | null = null) {
  const calls: { url: string; signal: AbortSignal | undefined }[] = [];
  const remote: RemoteSource = {
    async open(url, _limits, opts) {
      calls.push({ url, signal: opts?.signal });
      if (url.startsWith('ftp:')) throw new RemoteFetchError('invalid_url', 'no ftp');
      const file: RemoteFile = { body: body(), name: 'a.txt', type: 'text/plain', url, size };
      return file;
    },
  };
  return { remote, calls };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (err: unknown) => err,
  );
}

describe('UrlUploads', () => {
  it('refuses when off, before opening anything', async () => {
    const { remote, calls } = source(() => Readable.from(['x']));
    const urls = new UrlUploads(remote, { ...SETTINGS, enabled: false });
    const err = await failure(urls.upload('http://x/a', () => Promise.resolve(1)));
    expect(err).toBeInstanceOf(RemoteFetchError);
    expect((err as RemoteFetchError).reason).toBe('disabled');
    expect(() => urls.checkEnabled()).toThrow(RemoteFetchError);
    expect(calls).toEqual([]);
  });

  it('hands the body to the store with name, type and size, and reports progress', async () => {
    const { remote } = source(() => Readable.from([Buffer.from('abc'), Buffer.from('de')]), 5);
    const seen: [number, number | null][] = [];
    const admitted: (number | null)[] = [];
    const urls = new UrlUploads(remote, SETTINGS);
    const result = await urls.upload(
      'http://x/a.txt',
      async (f) => ({ name: f.name, type: f.type, size: f.size, body: await text(f.body) }),
      {
        onProgress: (n, total) => seen.push([n, total]),
        admit: async (size) => {
          admitted.push(size);
        },
      },
    );
    expect(result).toEqual({ name: 'a.txt', type: 'text/plain', size: 5, body: 'abcde' });
    expect(seen).toEqual([
      [3, 5],
      [5, 5],
    ]);
    expect(admitted).toEqual([5]);
  });

  it("says why the body stopped (the fetch's reason), not the store's view of it", async () => {
    const body = new PassThrough();
    const { remote } = source(() => body);
    const urls = new UrlUploads(remote, SETTINGS);
    const err = await failure(
      urls.upload('http://x/a', async (f) => {
        setTimeout(() => body.destroy(new RemoteFetchError('too_large', 'too big')), 10);
        await text(f.body).catch(() => {
          throw new Error('the store saw the body fail');
        });
      }),
    );
    expect((err as RemoteFetchError).reason).toBe('too_large');
  });

  it('a refusal by admit leaves the body destroyed, the store never called', async () => {
    const body = new PassThrough();
    const { remote } = source(() => body, 10_000);
    const urls = new UrlUploads(remote, SETTINGS);
    let stored = false;
    const err = await failure(
      urls.upload(
        'http://x/a',
        async () => {
          stored = true;
        },
        {
          admit: () => Promise.reject(new Error('over quota')),
        },
      ),
    );
    expect((err as Error).message).toBe('over quota');
    expect(stored).toBe(false);
    expect(body.destroyed).toBe(true);
  });

  it('cancelled: passes the signal to the fetch and discards what was stored meanwhile', async () => {
    const { remote, calls } = source(() => Readable.from(['abc']));
    const urls = new UrlUploads(remote, SETTINGS);
    const ac = new AbortController();
    const discarded: string[] = [];
    const err = await failure(
      urls.upload(
        'http://x/a',
        async (f) => {
          await text(f.body);
          ac.abort(); // the client went away while the file was being stored
          return 'file-1';
        },
        { signal: ac.signal, discard: async (id) => void discarded.push(id) },
      ),
    );
    expect((err as RemoteFetchError).reason).toBe('cancelled');
    expect(discarded).toEqual(['file-1']);
    expect(calls[0]!.signal).toBe(ac.signal);
    // Already cancelled: nothing is opened.
    expect(
      (
        (await failure(
          urls.upload('http://x/b', async () => 1, { signal: ac.signal }),
        )) as RemoteFetchError
      ).reason,
    ).toBe('cancelled');
    expect(calls).toHaveLength(1);
  });

  it('passes the fetch errors through', async () => {
    const { remote } = source(() => Readable.from([]));
    const urls = new UrlUploads(remote, SETTINGS);
    const err = await failure(urls.upload('ftp://x', async () => 1));
    expect((err as RemoteFetchError).reason).toBe('invalid_url');
  });
});
