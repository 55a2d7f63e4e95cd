import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type App, type RuntimeOptions } from '../src/app.js';
import { loadConfig, type ConfigInput } from '../src/config.js';
import { ON_SCALE_OUT, scaleOutStack, type ScaleOutStack } from './scaleout.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Run the CLI from source (no build needed), in one process: tsx as a loader of this node, so a
 * signal sent to the child reaches the server itself (tsx's own CLI would put a wrapper in between).
 */
export const CLI = [
  '--import',
  // tsx by its absolute path: resolved from here, whatever the child's working directory.
  pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
  path.join(ROOT, 'src/main/cli.ts'),
];

/**
 * The environment of CLI child processes: no configuration file of this machine's user
 * (~/.config/stowage/stowage.env) nor STOWAGE_CONFIG, unless a test gives one.
 */
const NO_USER_CONFIG: NodeJS.ProcessEnv = {
  XDG_CONFIG_HOME: path.join(os.tmpdir(), 'stowage-test-no-config'),
  STOWAGE_CONFIG: undefined,
};

export async function tempDir(prefix = 'stowage-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TestServer {
  url: string;
  app: App;
  dataDir: string;
  /** The PostgreSQL schema, s3rver bucket and Redis key space (STOWAGE_TEST_STACK=scaleout), else null. */
  stack: ScaleOutStack | null;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1 and a free port, with its own data dir; removed on close. */
export async function startServer(
  overrides: ConfigInput = {},
  dataDir?: string,
  /** Runtime options (e.g. `now`, the core's clock). */
  runtimeOpts: Partial<RuntimeOptions> = {},
): Promise<TestServer> {
  const dir = dataDir ?? (await tempDir());
  // STOWAGE_TEST_STACK=scaleout: the same tests on PostgreSQL + S3 (s3rver) + Redis.
  const stack = ON_SCALE_OUT ? await scaleOutStack() : null;
  const config = loadConfig(
    {
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      logLevel: 'silent',
      // Another build of the web UI (STOWAGE_WEB_OUT=… npm run build:web), else dist/web.
      ...(process.env.STOWAGE_TEST_WEB_DIR ? { webDir: process.env.STOWAGE_TEST_WEB_DIR } : {}),
      ...(stack?.config ?? {}),
      // Suites upload many files anonymously from 127.0.0.1: the per-address limits are tested
      // where they are set (test/limits.*.test.ts).
      anonDailyUploads: 0,
      anonDailyUploadBytes: 0,
      ...overrides,
    },
    {},
  );
  let app: App;
  let url: string;
  try {
    app = await buildApp(config, runtimeOpts);
    url = await app.listen().catch(async (err: unknown) => {
      await app.close();
      throw err;
    });
  } catch (err) {
    // Nothing may outlive a server that did not start: its schema, bucket and keys go too.
    await stack?.cleanup();
    throw err;
  }
  return {
    url,
    app,
    dataDir: dir,
    stack,
    close: async () => {
      await app.close();
      await stack?.cleanup();
      if (!dataDir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Create a user (an admin if asked) and an API key for it through the core. */
export async function createUserWithKey(
  server: TestServer,
  username: string,
  opts: { admin?: boolean } = {},
): Promise<string> {
  const { accounts } = server.app.runtime.core;
  await accounts.createUser(username, null, opts.admin ?? false);
  const { key } = await accounts.createKey(username, 'test', '127.0.0.1');
  return key;
}

export function basic(key: string, user = ''): string {
  return 'Basic ' + Buffer.from(`${user}:${key}`).toString('base64');
}

/** Run the CLI to completion. */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...NO_USER_CONFIG, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Create an instance (`stowage init`) in a new data dir, as an operator does before the first
 * admin command (the admin commands refuse a data dir without a database).
 */
export async function initInstance(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await runCli(['init', '--data-dir', dataDir], { env });
  if (r.code !== 0) throw new Error(`stowage init failed: ${r.stderr}`);
}

/**
 * Start `stowage serve` as a child process on a free port; resolves once it is listening. With a
 * null data dir, no --data-dir flag: the environment or a configuration file says where.
 */
export async function spawnServer(
  dataDir: string | null,
  env: NodeJS.ProcessEnv = {},
  opts: { cwd?: string } = {},
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void>; stdout(): string }> {
  const where = dataDir === null ? [] : ['--data-dir', dataDir];
  const child = spawn(process.execPath, [...CLI, 'serve', '--port', '0', ...where], {
    cwd: opts.cwd ?? ROOT,
    env: {
      ...process.env,
      ...NO_USER_CONFIG,
      STOWAGE_LOG_LEVEL: 'silent',
      // As in startServer: suites upload many files anonymously from 127.0.0.1.
      STOWAGE_ANON_DAILY_UPLOADS: '0',
      STOWAGE_ANON_DAILY_UPLOAD_BYTES: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let out = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export type SpawnedServer = Awaited<ReturnType<typeof spawnServer>>;

/**
 * For a describe block: a `stowage serve` child process on a data dir of its own, started before
 * the block's tests and stopped after them, its data dir removed. Read it through the function.
 */
export function spawnedServerForSuite(
  env: NodeJS.ProcessEnv = {},
): () => { srv: SpawnedServer; dataDir: string } {
  let dataDir: string | undefined;
  let srv: SpawnedServer | undefined;
  beforeAll(async () => {
    dataDir = await tempDir();
    srv = await spawnServer(dataDir, env);
  });
  afterAll(async () => {
    await srv?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!srv || !dataDir) throw new Error("the suite's server did not start");
    return { srv, dataDir };
  };
}

/**
 * Every committed location in the server's blob store, sorted (`<sha256>.<nonce>` on local disk,
 * `b/<random>` on S3). Compare with the `location` of `blobs` / `derived_images` rows.
 */
export async function storedLocations(server: TestServer): Promise<string[]> {
  const out: string[] = [];
  for await (const location of server.app.runtime.blobs.list()) out.push(location);
  return out.sort();
}

/**
 * Uploads in progress or left behind in the server's blob store: staging files on local disk,
 * incomplete multipart uploads on S3.
 *
 * s3rver (the scale-out test stack) implements neither ListMultipartUploads nor
 * AbortMultipartUpload, so there the port answers null (cannot tell); the answer is then read
 * from s3rver's own record of open multipart uploads (`<bucket>/._S3rver_uploads/<id>/key`).
 */
export async function pendingUploads(server: TestServer): Promise<number> {
  const n = await server.app.runtime.blobs.pendingUploads();
  if (n !== null) return n;
  const s3 = server.stack?.s3;
  if (!s3) throw new Error('the blob store cannot tell its pending uploads');
  const prefix = server.app.runtime.config.s3Prefix + 'b/';
  const dir = path.join(s3.dir, s3.bucket, '._S3rver_uploads');
  let open = 0;
  for (const id of await fs.readdir(dir).catch(() => [])) {
    const key = await fs.readFile(path.join(dir, id, 'key'), 'utf8').catch(() => null);
    if (key?.startsWith(prefix)) open++;
  }
  return open;
}

/** Files left in the staging area (partial uploads) of a local-disk store. */
export async function stagingFiles(dataDir: string): Promise<string[]> {
  // Files only: `staging/tus/` holds resumable uploads (see tusFiles).
  const entries = await fs
    .readdir(path.join(dataDir, 'staging'), { withFileTypes: true })
    .catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/** What resumable (tus) uploads have in a local-disk store's staging area (data and .json). */
export async function tusFiles(dataDir: string): Promise<string[]> {
  return fs.readdir(path.join(dataDir, 'staging', 'tus')).catch(() => []);
}

/** Every blob file of a local-disk store. */
export async function blobFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(e.name);
    }
  };
  await walk(path.join(dataDir, 'blobs'));
  return out;
}
