import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/storage/db.js';
import { basic, CLI, runCli, spawnServer, tempDir } from './helpers.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Like runCli, but a command that should fail and instead keeps running (e.g. `serve` accepting a
 * bad setting) is stopped after `timeoutMs` and reported as `timedOut`.
 */
function runBounded(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, STOWAGE_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

describe('stowage CLI', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  const dd = () => ['--data-dir', dataDir];

  beforeAll(async () => {
    dataDir = path.join(await tempDir('stowage-cli-'), 'data');
  });
  afterAll(async () => {
    await server?.stop();
    if (dataDir) await fs.rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  async function apiKeys(): Promise<Array<{ key_id: string; app_name: string }>> {
    const db = openSqlite(dataDir);
    try {
      return await db
        .selectFrom('api_keys')
        .select(['key_id', 'app_name'])
        .orderBy('created_at')
        .execute();
    } finally {
      await db.destroy();
    }
  }

  async function putAs(key: string, body = 'hello from the cli test'): Promise<Response> {
    return fetch(`${server!.url}/api/file/cli.txt`, {
      method: 'PUT',
      body,
      headers: { Authorization: basic(key) },
    });
  }

  it('migrate refuses a new data dir, creating nothing; init creates it; both are idempotent', async () => {
    const refused = await runCli(['migrate', ...dd()]);
    expect(refused.code).toBe(2);
    expect(lines(refused.stderr)).toEqual([
      `stowage: no Stowage instance at ${dataDir} (use --config, STOWAGE_DATA_DIR, or run "stowage init" to create one)`,
    ]);
    await expect(fs.access(dataDir)).rejects.toThrow();
    const r = await runCli(['init', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^created a new Stowage instance; applied: 0001_init, /);
    expect(r.stdout.trim().endsWith(`(instance: ${dataDir})`)).toBe(true);
    await fs.access(path.join(dataDir, 'stowage.db'));
    const again = await runCli(['migrate', ...dd()]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/0001_init/);
    expect(again.stdout).toBe(`database is up to date (instance: ${dataDir})\n`);
    const initAgain = await runCli(['init', ...dd()]);
    expect(initAgain.code).toBe(0);
    expect(initAgain.stdout).toMatch(/already there; database is up to date/);
  });

  it('a server is running on the same data dir (started before any user exists)', async () => {
    server = await spawnServer(dataDir);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it('user add creates users: --password-stdin stores a hash, --admin an administrator', async () => {
    const [alice, root] = await Promise.all([
      runCli(['user', 'add', 'alice', '--password-stdin', ...dd()], {
        input: 'a-long-enough-password\n',
      }),
      runCli(['user', 'add', 'root', '--admin', ...dd()]),
    ]);
    expect(alice.code).toBe(0);
    expect(alice.stdout).toContain('alice');
    expect(root.code).toBe(0);
    const db = openSqlite(dataDir);
    try {
      const u = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', 'alice')
        .executeTakeFirstOrThrow();
      expect(Number(u.is_admin)).toBe(0);
      expect(u.password_hash).not.toBeNull();
      expect(u.password_hash).not.toBe('a-long-enough-password');
      expect(u.password_hash!.startsWith('scrypt$')).toBe(true);
      const r = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', 'root')
        .executeTakeFirstOrThrow();
      expect(Number(r.is_admin)).toBe(1);
    } finally {
      await db.destroy();
    }
  });

  it('bad requests fail with a non-zero exit and one clear line on stderr', async () => {
    const [dup, badName, noUser, noKey] = await Promise.all([
      runCli(['user', 'add', 'alice', '--password-stdin', ...dd()], {
        input: 'another-good-password\n',
      }),
      runCli(['user', 'add', 'no spaces/allowed', ...dd()]),
      runCli(['key', 'create', 'nobody', ...dd()]),
      runCli(['key', 'revoke', '00000000-0000-4000-8000-000000000000', ...dd()]),
    ]);
    for (const r of [dup, badName, noUser, noKey]) {
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(dup.stderr).toMatch(/alice/);
    expect(dup.stderr.toLowerCase()).toMatch(/exists|taken/);
    expect(noUser.stderr).toMatch(/nobody/);
  });

  it('user hotlink NAME on|off marks the account exempt from the hotlink rule', async () => {
    const on = await runCli(['user', 'hotlink', 'alice', 'on', ...dd()]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout.trim()).toBe(`alice: hotlink exempt on (instance: ${dataDir})`);
    const flag = async () => {
      const db = openSqlite(dataDir);
      try {
        return (
          await db
            .selectFrom('users')
            .select('hotlink_exempt')
            .where('username', '=', 'alice')
            .executeTakeFirstOrThrow()
        ).hotlink_exempt;
      } finally {
        await db.destroy();
      }
    };
    expect(Number(await flag())).toBe(1);
    expect((await runCli(['user', 'hotlink', 'alice', 'off', ...dd()])).code).toBe(0);
    expect(Number(await flag())).toBe(0);
    const bad = await runCli(['user', 'hotlink', 'alice', 'maybe', ...dd()]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/on or off/);
    const nobody = await runCli(['user', 'hotlink', 'nobody', 'on', ...dd()]);
    expect(nobody.code).not.toBe(0);
  });

  let key1 = '';

  it('key create prints the new key (a UUID v4) alone on stdout', async () => {
    const r = await runCli(['key', 'create', 'alice', '--app-name', 'bar', ...dd()]);
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out).toHaveLength(2); // exactly one line, newline-terminated
    expect(out[1]).toBe('');
    expect(out[0]).toMatch(UUID_V4);
    key1 = out[0]!;
    // The instance is named on stderr, out of the way of `KEY=$(stowage key create …)`.
    expect(lines(r.stderr)).toEqual([`stowage: instance: ${dataDir}`]);
  });

  it('the new key works at once against the running server', async () => {
    const put = await putAs(key1);
    expect(put.status).toBe(201);
    const { id } = (await put.json()) as { id: string };
    const info = await fetch(`${server!.url}/api/file/${id}/info`, {
      headers: { Authorization: basic(key1) },
    });
    expect(info.status).toBe(200);
    expect(((await info.json()) as { can_edit: boolean }).can_edit).toBe(true);
    // Anonymous viewers cannot edit it: the key really identified alice.
    const anon = await fetch(`${server!.url}/api/file/${id}/info`);
    expect(((await anon.json()) as { can_edit: boolean }).can_edit).toBe(false);
  });

  it('key list shows the app name and key id, never the key; the CLI leaves the live staging area alone', async () => {
    // A partial upload of the running server must survive CLI commands on the same data dir.
    const marker = path.join(dataDir, 'staging', 'in-progress.part');
    await fs.writeFile(marker, 'partial');
    const [r, viaEnv, migrate] = await Promise.all([
      runCli(['key', 'list', 'alice', ...dd()]),
      runCli(['key', 'list', 'alice'], { env: { STOWAGE_DATA_DIR: dataDir } }),
      runCli(['migrate', ...dd()]),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(key1);
    expect(r.stdout.toLowerCase()).not.toContain(key1.replace(/-/g, ''));
    const rows = lines(r.stdout).slice(1); // after the header
    expect(rows).toHaveLength(1);
    const [id, app] = rows[0]!.split('\t');
    expect(app).toBe('bar');
    // The id shown is the key's public handle.
    expect(await apiKeys()).toEqual([{ key_id: id, app_name: 'bar' }]);
    // STOWAGE_DATA_DIR works as well as --data-dir.
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toBe(r.stdout);
    // migrate on the live data dir is harmless.
    expect(migrate.code).toBe(0);
    expect((await fetch(`${server!.url}/api/health`)).status).toBe(200);
    await fs.access(marker);
    await fs.rm(marker);
  });

  it('key revoke KEY: the running server refuses the key from then on', async () => {
    const r = await runCli(['key', 'revoke', key1, ...dd()]);
    expect(r.code).toBe(0);
    const put = await putAs(key1);
    expect(put.status).toBe(401);
    expect(((await put.json()) as { value: string }).value).toBe('authentication_failed');
    expect(await apiKeys()).toEqual([]);
  });

  it('key revoke KEY-ID works too, and only revokes that key', async () => {
    const [a, b] = await Promise.all([
      runCli(['key', 'create', 'alice', '--app-name', 'one', ...dd()]),
      runCli(['key', 'create', 'alice', '--app-name', 'two', ...dd()]),
    ]);
    const keyA = a.stdout.trim();
    const keyB = b.stdout.trim();
    expect(keyA).toMatch(UUID_V4);
    expect(keyB).toMatch(UUID_V4);
    expect(keyA).not.toBe(keyB);
    expect((await putAs(keyA)).status).toBe(201);
    expect((await putAs(keyB)).status).toBe(201);

    const listed = await runCli(['key', 'list', 'alice', ...dd()]);
    const rows = lines(listed.stdout)
      .slice(1)
      .map((l) => l.split('\t'));
    expect(rows.map((x) => x[1]).sort()).toEqual(['one', 'two']);
    const idA = rows.find((x) => x[1] === 'one')![0]!;
    const r = await runCli(['key', 'revoke', idA, ...dd()]);
    expect(r.code).toBe(0);

    const refused = await putAs(keyA);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { value: string }).value).toBe('authentication_failed');
    expect((await putAs(keyB)).status).toBe(201);
    expect((await apiKeys()).map((k) => k.app_name)).toEqual(['two']);
  });
});

describe('invalid configuration fails at start with one line naming the setting', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await tempDir('stowage-cli-cfg-');
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const cases: Array<{ title: string; args: string[]; env: NodeJS.ProcessEnv; setting: string }> = [
    {
      title: 'STOWAGE_PORT=notaport',
      args: [],
      env: { STOWAGE_PORT: 'notaport' },
      setting: 'STOWAGE_PORT',
    },
    { title: '--port 99999', args: ['--port', '99999'], env: {}, setting: '--port' },
    {
      title: 'STOWAGE_MAX_FILE_SIZE=lots',
      args: ['--port', '0'],
      env: { STOWAGE_MAX_FILE_SIZE: 'lots' },
      setting: 'STOWAGE_MAX_FILE_SIZE',
    },
    {
      title: 'STOWAGE_ALLOW_ANONYMOUS_UPLOADS=maybe',
      args: ['--port', '0'],
      env: { STOWAGE_ALLOW_ANONYMOUS_UPLOADS: 'maybe' },
      setting: 'STOWAGE_ALLOW_ANONYMOUS_UPLOADS',
    },
  ];

  it('serve refuses each bad setting', async () => {
    const results = await Promise.all(
      cases.map((c) => runBounded(['serve', '--data-dir', dataDir, ...c.args], c.env)),
    );
    results.forEach((r, i) => {
      const { title, setting } = cases[i]!;
      expect(r.timedOut, title).toBe(false);
      expect(r.code, title).not.toBe(0);
      expect(r.code, title).not.toBeNull();
      const errLines = lines(r.stderr);
      expect(errLines, title).toHaveLength(1);
      expect(errLines[0], title).toContain(setting);
      expect(r.stdout, title).not.toMatch(/listening/);
    });
  });

  it('a flag wins over the environment (a valid --port beats a bad STOWAGE_PORT)', async () => {
    // With the flag given, STOWAGE_PORT is never read: the server starts.
    const srv = await spawnServer(dataDir, { STOWAGE_PORT: 'notaport' });
    try {
      expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});

describe('a port that is taken', () => {
  let dataDir: string;
  let blocker: net.Server;
  let port: number;
  beforeAll(async () => {
    dataDir = await tempDir('stowage-cli-port-');
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve));
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['one process', '1'],
    ['two workers', '2'],
  ])(
    '%s: one line naming the address and --port, a non-zero exit',
    async (_title, workers) => {
      const r = await runBounded(
        ['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)],
        { STOWAGE_WORKERS: workers },
        60_000,
      );
      expect(r.timedOut).toBe(false);
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      const errLines = lines(r.stderr);
      expect(errLines).toHaveLength(1);
      expect(errLines[0]).toContain(`127.0.0.1:${port} is already in use`);
      expect(errLines[0]).toContain('--port');
      expect(r.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
    },
    120_000,
  );
});
