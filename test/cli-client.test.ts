import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createUserWithKey,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from './helpers.js';
import { recordingProxy } from './http-recorder.js';

// The client commands (src/main/client) as a child process against an in-process server.

const execFileP = promisify(execFile);
const ESC = '\u001b';
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const ndjson = (s: string) => lines(s).map((l) => JSON.parse(l) as Record<string, unknown>);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('stowage client commands', () => {
  let server: TestServer;
  let key: string;
  let dir: string;
  /** Environment of a client run: its own config folder, no URL or key unless given. */
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await startServer();
    key = await createUserWithKey(server, 'carol');
    dir = await tempDir('stowage-client-');
    env = {
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      STOWAGE_URL: undefined,
      STOWAGE_KEY: undefined,
    };
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const withServer = () => ({ ...env, STOWAGE_URL: server.url, STOWAGE_KEY: key });

  async function fileBytes(id: string): Promise<Buffer> {
    const res = await fetch(`${server.url}/api/file/${id}`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('login checks the key and writes the config file with mode 600, which later commands read', async () => {
    const r = await runCli(['login', '--url', server.url + '/', '--key-stdin'], {
      env,
      input: key + '\n',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/logged in to .* as carol/);
    const file = path.join(dir, 'config', 'stowage', 'client.json');
    const st = await fs.stat(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ url: server.url, key });

    // No flag, no environment: the config file names the server and the key.
    const ls = await runCli(['ls', '--json'], { env });
    expect(ls.code, ls.stderr).toBe(0);
  });

  it('login with a bad key: one line with authentication_failed, exit 2, no file written', async () => {
    const cfg = path.join(dir, 'config-bad');
    const r = await runCli(['login', '--url', server.url, '--key', 'not-a-key'], {
      env: { ...env, XDG_CONFIG_HOME: cfg },
    });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^stowage: authentication_failed: .*\(HTTP 401\)\n$/);
    await expect(fs.stat(path.join(cfg, 'stowage', 'client.json'))).rejects.toThrow();
  });

  it('uploads a file, stdin and a folder with --json: one object per line, bytes exact', async () => {
    const a = path.join(dir, 'a.txt');
    await fs.writeFile(a, 'file a\n');
    const folder = path.join(dir, 'photos');
    await fs.mkdir(path.join(folder, 'sub'), { recursive: true });
    await fs.writeFile(path.join(folder, 'one.txt'), 'one');
    await fs.writeFile(path.join(folder, 'sub', 'two words.txt'), 'two');

    const r = await runCli(['upload', '--json', a, '-', folder, '--name', 'piped.txt'], {
      env: withServer(),
      input: 'from stdin',
    }).catch((e: unknown) => {
      throw e;
    });
    // --name goes with a single file or stdin: refused with several paths.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^stowage: usage: --name/);

    const ok = await runCli(['upload', '--json', a, folder], { env: withServer() });
    expect(ok.code, ok.stderr).toBe(0);
    const out = ndjson(ok.stdout);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ ok: true, path: a, method: 'put', size: 7 });
    expect((await fileBytes(out[0]!.id as string)).toString()).toBe('file a\n');
    expect(out.slice(1).map((o) => o.fs_path)).toEqual([
      '/me/photos/one.txt',
      '/me/photos/sub/two words.txt',
    ]);
    const node = await fetch(`${server.url}/api/filesystem/me/photos/sub/two%20words.txt`, {
      headers: { Authorization: basic(key) },
    });
    expect(await node.text()).toBe('two');

    const stdin = await runCli(['upload', '--json', '-', '--name', 'piped.txt'], {
      env: withServer(),
      input: 'from stdin',
    });
    expect(stdin.code, stdin.stderr).toBe(0);
    const [s] = ndjson(stdin.stdout);
    expect(s).toMatchObject({ ok: true, path: '-', size: 10 });
    const info = await (await fetch(`${server.url}/api/file/${s!.id as string}/info`)).json();
    expect(info).toMatchObject({ name: 'piped.txt', size: 10 });

    // ls with a path: the folder as the filesystem API lists it.
    const ls = await runCli(['ls', 'photos', '--json'], { env: withServer() });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ndjson(ls.stdout).map((n) => n.name)).toEqual(['sub', 'one.txt']);
  });

  it('prints plain lines without escape codes when not on a terminal', async () => {
    const b = path.join(dir, 'b.txt');
    await fs.writeFile(b, 'file b');
    const r = await runCli(['upload', b], { env: withServer() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stderr).not.toContain(ESC);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `^${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${server.url}/u/\\w+ \\(6 B\\)\\n$`,
      ),
    );

    const ls = await runCli(['ls'], { env: withServer() });
    expect(ls.code).toBe(0);
    expect(ls.stdout).not.toContain(ESC);
    expect(ls.stdout).toMatch(/\tb\.txt$/m);
  });

  it('a bad key: one line with the server value authentication_failed and exit 2', async () => {
    const b = path.join(dir, 'b.txt');
    const r = await runCli(['upload', b, '--key', 'wrong'], { env: withServer() });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(/: authentication_failed: .*\(HTTP 401\)$/),
    ]);
    expect(r.stdout).toBe('');

    const j = await runCli(['info', 'abc', '--json'], { env: { ...env, STOWAGE_URL: server.url } });
    expect(j.code).toBe(2);
    expect(ndjson(j.stdout)).toEqual([
      expect.objectContaining({ ok: false, error: 'not_found', status: 404 }),
    ]);
  });

  it('a missing file: exit 1 alone, 4 next to a file that uploads', async () => {
    const missing = path.join(dir, 'nope.bin');
    const r = await runCli(['upload', missing], { env: withServer() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`stowage: ${missing}: no_such_file: no such file or directory\n`);

    const b = path.join(dir, 'b.txt');
    const both = await runCli(['upload', '--json', missing, b], { env: withServer() });
    expect(both.code).toBe(4);
    expect(ndjson(both.stdout).map((o) => o.ok)).toEqual([false, true]);

    const noServer = await runCli(['upload', b], { env });
    // The first test's login wrote a config file; without it there is no server to talk to.
    expect(noServer.code).toBe(0);
    const none = await runCli(['upload', b], {
      env: { ...env, XDG_CONFIG_HOME: path.join(dir, 'empty') },
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^stowage: usage: no server/);
  });

  it('a network failure is exit 3', async () => {
    const b = path.join(dir, 'b.txt');
    const proxy = await recordingProxy(server.url);
    const url = proxy.url;
    await proxy.close();
    const r = await runCli(['upload', b, '--url', url], { env: withServer() });
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/network_error: ECONNREFUSED/)]);
  });

  it('download continues a partial file with a Range request, byte-exact, and checks the size', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const up = await fetch(`${server.url}/api/file/data.bin`, {
      method: 'PUT',
      body: data,
      headers: { Authorization: basic(key) },
    });
    const { id } = (await up.json()) as { id: string };
    const out = path.join(dir, 'data.bin');
    const cut = 1_234_567;
    await fs.writeFile(out, data.subarray(0, cut));

    const proxy = await recordingProxy(server.url);
    try {
      const r = await runCli(
        ['download', `${proxy.url}/u/${id}`, '-o', out, '--json', '--url', proxy.url],
        {
          env: withServer(),
        },
      );
      expect(r.code, r.stderr).toBe(0);
      const [res] = ndjson(r.stdout);
      expect(res).toMatchObject({
        ok: true,
        id,
        size: data.length,
        resumed_from: cut,
        received: data.length - cut,
        sha256: sha256(data),
      });
      expect(sha256(await fs.readFile(out))).toBe(sha256(data));
      const get = proxy.requests.find(
        (q) => q.method === 'GET' && q.url.startsWith(`/api/file/${id}?`),
      );
      expect(get).toMatchObject({ range: `bytes=${cut}-`, status: 206 });

      // Complete already: nothing is fetched again.
      const n = proxy.requests.length;
      const again = await runCli(['download', id, '-o', out, '--url', proxy.url], {
        env: withServer(),
      });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/already complete/);
      expect(proxy.requests.slice(n).map((q) => q.url)).toEqual([`/api/file/${id}/info`]);

      // An output longer than the file is not a partial download of it.
      await fs.appendFile(out, 'x');
      const longer = await runCli(['download', id, '-o', out], { env: withServer() });
      expect(longer.code).toBe(1);
      expect(longer.stderr).toMatch(/is larger/);

      // A partial file that is not the start of this file: the checksum says so.
      await fs.writeFile(out, Buffer.alloc(1000, 7));
      const wrong = await runCli(['download', id, '-o', out], { env: withServer() });
      expect(wrong.code).toBe(3);
      // (After a progress line, when the download took over a second.)
      expect(wrong.stderr).toMatch(/^stowage: checksum_mismatch/m);
    } finally {
      await proxy.close();
    }
  });

  it('a download that breaks off: exit 3, the part kept, and the next run finishes it', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const up = await fetch(`${server.url}/api/file/cut.bin`, {
      method: 'PUT',
      body: data,
      headers: { Authorization: basic(key) },
    });
    const { id } = (await up.json()) as { id: string };
    const out = path.join(dir, 'cut.bin');
    const proxy = await recordingProxy(server.url);
    try {
      // The info answer is small: only the download is cut.
      proxy.cutResponseAfter = 700_000;
      const r = await runCli(['download', id, '-o', out, '--url', proxy.url], {
        env: withServer(),
      });
      expect(r.code).toBe(3);
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(/^stowage: network_error: the download broke off/),
      ]);
      // What arrived stays (what was still in the pipe when it broke may not have been written).
      const kept = (await fs.stat(out)).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThanOrEqual(700_000);
      expect(sha256(await fs.readFile(out))).toBe(sha256(data.subarray(0, kept)));

      proxy.cutResponseAfter = null;
      const again = await runCli(['download', id, '-o', out, '--url', proxy.url], {
        env: withServer(),
      });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/resumed at/);
      expect(sha256(await fs.readFile(out))).toBe(sha256(data));
      expect(proxy.requests.filter((q) => q.range).map((q) => q.range)).toEqual([`bytes=${kept}-`]);
    } finally {
      await proxy.close();
    }

    // An output that cannot be written: a local error, exit 1.
    const nowhere = path.join(dir, 'no', 'such', 'folder', 'x.bin');
    const w = await runCli(['download', id, '-o', nowhere], { env: withServer() });
    expect(w.code).toBe(1);
    expect(w.stderr).toBe('stowage: no_such_file: no such file or directory\n');
  });

  it('info, rm and list', async () => {
    const b = path.join(dir, 'b.txt');
    const up = ndjson((await runCli(['upload', '--json', b, b], { env: withServer() })).stdout);
    const ids = up.map((u) => u.id as string);
    const info = await runCli(['info', ids[0]!], { env: withServer() });
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^name: b\.txt$/m);

    const list = await runCli(['list', ...ids, '--title', 'Two', '--json'], { env: withServer() });
    expect(list.code, list.stderr).toBe(0);
    const [l] = ndjson(list.stdout);
    const body = (await (await fetch(`${server.url}/api/list/${l!.id as string}`)).json()) as {
      title: string;
      file_count: number;
    };
    expect(body).toMatchObject({ title: 'Two', file_count: 2 });

    const rm = await runCli(['rm', ids[0]!, 'nothere1'], { env: withServer() });
    expect(rm.code).toBe(4);
    expect(rm.stdout).toBe(`deleted ${ids[0]}\n`);
    expect(rm.stderr).toMatch(/^stowage: nothere1: not_found/);
    expect((await fetch(`${server.url}/api/file/${ids[0]}/info`)).status).toBe(404);
  });

  it('prints a bash completion script', async () => {
    const r = await runCli(['completion', 'bash'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/complete .*-F _stowage stowage/);
    // Sourced in bash, it completes commands and their options.
    const script = path.join(dir, 'completion.bash');
    await fs.writeFile(script, r.stdout);
    const { stdout } = await execFileP('bash', [
      '-c',
      `source ${JSON.stringify(script)}
       COMP_WORDS=(stowage dow); COMP_CWORD=1; _stowage; echo "\${COMPREPLY[*]}"
       COMP_WORDS=(stowage upload --res); COMP_CWORD=2; _stowage; echo "\${COMPREPLY[*]}"`,
    ]);
    expect(stdout).toBe('download\n--resumable\n');
    expect(r.stdout).toMatch(
      /upload download info ls rm list login completion|upload\b.*download\b/,
    );
    const bad = await runCli(['completion', 'fish'], { env });
    expect(bad.code).toBe(1);
  });
});
