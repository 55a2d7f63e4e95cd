import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/storage/db.js';
import { basic, runCli, spawnServer, tempDir } from './helpers.js';
import { PG_URL, scaleOutUnavailable } from './scaleout.js';

/**
 * Issue 19, "the operator's first hour": the server and the admin commands find the same instance
 * from any directory through the configuration file, and the admin commands never create an
 * instance by accident. Every child gets a HOME and XDG_CONFIG_HOME of its own (nothing of the
 * real home is read or written); /etc/stowage is never written.
 */

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

describe('stowage --help', () => {
  it('describes the configuration file, its lookup, init, and the client file apart', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      '--config FILE or STOWAGE_CONFIG, else $XDG_CONFIG_HOME/stowage/stowage.env (~/.config/stowage/stowage.env), else /etc/stowage/stowage.env',
    );
    expect(text).toContain('"stowage init"');
    expect(text).toContain('client.json');
  });
});

describe('admin commands without an instance', () => {
  let root: string;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await tempDir('stowage-cli-noinst-');
    cwd = path.join(root, 'work');
    await fs.mkdir(cwd);
    env = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('refuse in an empty directory with one line naming the data dir, and create nothing', async () => {
    const data = path.join(cwd, 'data');
    const [add, key, list] = await Promise.all([
      runCli(['user', 'add', 'alice'], { cwd, env }),
      runCli(['key', 'create', 'alice'], { cwd, env }),
      runCli(['user', 'list'], { cwd, env }),
    ]);
    for (const r of [add, key, list]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toEqual([
        `stowage: no Stowage instance at ${data} (use --config, STOWAGE_DATA_DIR, or run "stowage init" to create one)`,
      ]);
    }
    expect(await fs.readdir(cwd)).toEqual([]);
    await expect(fs.access(data)).rejects.toThrow();
    await expect(fs.access(env.HOME!)).rejects.toThrow();
    await expect(fs.access(env.XDG_CONFIG_HOME!)).rejects.toThrow();
  });

  it('stowage init creates it; then the command works and names it', async () => {
    const data = path.join(cwd, 'data');
    const init = await runCli(['init'], { cwd, env });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^created a new Stowage instance; applied: 0001_init/);
    await fs.access(path.join(data, 'stowage.db'));
    const add = await runCli(['user', 'add', 'alice'], { cwd, env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe(`created user alice (instance: ${data})\n`);
    // A failure names the instance too, on its one line.
    const again = await runCli(['user', 'add', 'alice'], { cwd, env });
    expect(again.code).toBe(2);
    expect(lines(again.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^stowage: .*alice.* \\(instance: ${data}\\)$`)),
    ]);
  });

  it('--create makes the instance for that one command', async () => {
    const other = path.join(root, 'other-data');
    const r = await runCli(['user', 'add', 'bob', '--data-dir', other, '--create'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([`stowage: creating a new instance (instance: ${other})`]);
    expect(r.stdout).toBe(`created user bob (instance: ${other})\n`);
    await fs.access(path.join(other, 'stowage.db'));
  });
});

describe('the server and the admin commands share an instance through the configuration file', () => {
  let root: string;
  let data: string;
  let file: string;
  let serverCwd: string;
  let adminCwd: string;
  let env: NodeJS.ProcessEnv;
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;

  beforeAll(async () => {
    root = await tempDir('stowage-cli-config-');
    env = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    file = path.join(root, 'xdg', 'stowage', 'stowage.env');
    await fs.mkdir(path.dirname(file), { recursive: true });
    // A relative data dir: relative to the file's folder, wherever the commands run.
    await fs.writeFile(file, '# the test instance\nSTOWAGE_DATA_DIR=../../instance\n');
    data = path.join(root, 'instance');
    serverCwd = path.join(root, 'server-cwd');
    adminCwd = path.join(root, 'admin-cwd');
    await fs.mkdir(serverCwd);
    await fs.mkdir(adminCwd);
  });
  afterAll(async () => {
    await server?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('serve creates the instance the file names, and says which', async () => {
    server = await spawnServer(null, env, { cwd: serverCwd });
    const note = `instance: ${data}, config ${file}`;
    expect(lines(server.stdout())).toEqual([
      `stowage: creating a new instance (${note})`,
      `stowage listening on ${server.url} (${note})`,
    ]);
    await fs.access(path.join(data, 'stowage.db'));
    expect(await fs.readdir(serverCwd)).toEqual([]);
  });

  it('an admin command in another directory creates a user whose key the server accepts', async () => {
    const add = await runCli(['user', 'add', 'alice'], { cwd: adminCwd, env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe(`created user alice (instance: ${data}, config ${file})\n`);
    const key = await runCli(['key', 'create', 'alice'], { cwd: adminCwd, env });
    expect(key.code, key.stderr).toBe(0);
    expect(lines(key.stderr)).toEqual([`stowage: instance: ${data}, config ${file}`]);
    const put = await fetch(`${server!.url}/api/file/hello.txt`, {
      method: 'PUT',
      body: 'hello',
      headers: { Authorization: basic(key.stdout.trim()) },
    });
    expect(put.status).toBe(201);
    const me = await fetch(`${server!.url}/api/user`, {
      headers: { Authorization: basic(key.stdout.trim()) },
    });
    expect(((await me.json()) as { username: string }).username).toBe('alice');
    expect(await fs.readdir(adminCwd)).toEqual([]);
  });

  it('--config and STOWAGE_CONFIG name the file too; the environment wins over it', async () => {
    const noXdg = { HOME: env.HOME, XDG_CONFIG_HOME: path.join(root, 'elsewhere') };
    const [byFlag, byEnv, override] = await Promise.all([
      runCli(['user', 'show', 'alice', '--config', file], { cwd: adminCwd, env: noXdg }),
      runCli(['user', 'show', 'alice'], { cwd: adminCwd, env: { ...noXdg, STOWAGE_CONFIG: file } }),
      runCli(['user', 'show', 'alice'], {
        cwd: adminCwd,
        env: { ...env, STOWAGE_DATA_DIR: path.join(root, 'empty') },
      }),
    ]);
    for (const r of [byFlag, byEnv]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^username +alice$/m);
    }
    expect(override.code).toBe(2);
    expect(lines(override.stderr)).toEqual([
      `stowage: no Stowage instance at ${path.join(root, 'empty')} (config ${file}; use --config, STOWAGE_DATA_DIR, or run "stowage init" to create one)`,
    ]);
    await expect(fs.access(path.join(root, 'empty'))).rejects.toThrow();
  });

  it('a malformed line stops the command with one line naming the file and the line', async () => {
    const bad = path.join(root, 'bad.env');
    await fs.writeFile(bad, 'STOWAGE_DATA_DIR=/x\nSTOWAGE_PORT 8080\n');
    const r = await runCli(['user', 'list', '--config', bad], { cwd: adminCwd, env });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `stowage: invalid configuration: ${bad}:2: expected NAME=value, got "STOWAGE_PORT 8080"`,
    ]);
  });
});

describe.skipIf((await scaleOutUnavailable()) !== null)(
  'admin commands on PostgreSQL: a schema without the migrations table is no instance',
  () => {
    const schema = `cliconf_${randomBytes(6).toString('hex')}`;
    let root: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      root = await tempDir('stowage-cli-pg-');
      env = {
        HOME: path.join(root, 'home'),
        XDG_CONFIG_HOME: path.join(root, 'xdg'),
        STOWAGE_DATABASE_URL: PG_URL,
        STOWAGE_DATABASE_SCHEMA: schema,
        STOWAGE_DATA_DIR: path.join(root, 'data'),
      };
    });
    afterAll(async () => {
      const db = openPostgres(PG_URL, 1, null);
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
      await fs.rm(root, { recursive: true, force: true });
    });

    it('refuses, creating no schema; init creates it; then the command works', async () => {
      const label = `${PG_URL} schema ${schema}, files in ${path.join(root, 'data')}`;
      const refused = await runCli(['user', 'add', 'alice'], { cwd: root, env });
      expect(refused.code).toBe(2);
      expect(lines(refused.stderr)).toEqual([
        `stowage: no Stowage instance at ${label} (use --config, STOWAGE_DATA_DIR, or run "stowage init" to create one)`,
      ]);
      const db = openPostgres(PG_URL, 1, null);
      try {
        const found = await sql<{
          n: number;
        }>`select count(*)::int as n from information_schema.schemata where schema_name = ${schema}`.execute(
          db,
        );
        expect(found.rows[0]!.n).toBe(0);
      } finally {
        await db.destroy();
      }
      const init = await runCli(['init'], { cwd: root, env });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toMatch(/^created a new Stowage instance; applied: 0001_init/);
      const add = await runCli(['user', 'add', 'alice'], { cwd: root, env });
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout).toBe(`created user alice (instance: ${label})\n`);
    });
  },
);

describe('the server log on stdout at info level', () => {
  let root: string;
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  beforeAll(async () => {
    root = await tempDir('stowage-cli-jsonlog-');
  });
  afterAll(async () => {
    await server?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('is JSON from its first line: the new instance and the address are log entries too', async () => {
    const data = path.join(root, 'data');
    server = await spawnServer(data, {
      HOME: path.join(root, 'home'),
      XDG_CONFIG_HOME: path.join(root, 'xdg'),
      STOWAGE_LOG_LEVEL: 'info',
      STOWAGE_LOG_FORMAT: 'json',
    });
    const r = await fetch(`${server.url}/api/health`);
    expect(r.status).toBe(200);
    // The request's line is written within an event-loop turn or so of the response.
    for (let i = 0; i < 50 && !server.stdout().includes('"event":"request"'); i++) {
      await new Promise((res) => setTimeout(res, 20));
    }
    const entries = lines(server.stdout()).map(
      (l) => JSON.parse(l) as { level: number; event?: string; msg: string; url?: string },
    );
    // Every line parsed as JSON above; among them (media, Fastify's own) the three events, in order.
    const events = entries.filter((e) => e.event !== undefined);
    expect(events.map((e) => e.event)).toEqual(['instance_created', 'listening', 'request']);
    expect(events.every((e) => e.level === 30)).toBe(true);
    expect(entries[0]!.event).toBe('instance_created');
    expect(entries[0]!.msg).toBe(`stowage: creating a new instance (instance: ${data})`);
    expect(events[1]!.url).toBe(server.url);
  });
});
