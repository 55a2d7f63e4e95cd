import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import type { ConfigInput } from '../src/config.js';
import type { RuntimeOptions } from '../src/app.js';
import { startServer, type TestServer } from './helpers.js';
import { ON_SCALE_OUT, PG_URL } from './scaleout.js';

/**
 * The tus suites run on the embedded stack (SQLite + local disk), and on PostgreSQL + local disk
 * when STOWAGE_TEST_PG is set (the database carries the uploads' rows and the locks). The S3
 * store for tus is another adapter (the scale-out suites).
 */
export const TUS_ON_PG = Boolean(process.env.STOWAGE_TEST_PG) && !ON_SCALE_OUT;

export async function startTusServer(
  overrides: ConfigInput = {},
  runtimeOpts: Partial<RuntimeOptions> = {},
): Promise<TestServer> {
  if (!TUS_ON_PG) return startServer(overrides, undefined, runtimeOpts);
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const drop = async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await client.end();
    }
  };
  let s: TestServer;
  try {
    s = await startServer(
      { databaseUrl: PG_URL, databaseSchema: schema, databasePoolSize: 5, ...overrides },
      undefined,
      runtimeOpts,
    );
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    ...s,
    close: async () => {
      await s.close();
      await drop();
    },
  };
}

export const TUS = { 'Tus-Resumable': '1.0.0' };

export function tusMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

/** POST /api/tus: a new upload of `length` bytes named `filename` (the Response; Location is its URL). */
export function tusCreate(
  baseUrl: string,
  auth: Record<string, string>,
  length: number,
  filename: string,
): Promise<Response> {
  return fetch(`${baseUrl}/api/tus`, {
    method: 'POST',
    headers: {
      ...TUS,
      ...auth,
      'Upload-Length': String(length),
      'Upload-Metadata': tusMetadata({ filename }),
    },
  });
}

/**
 * A PATCH whose connection is dropped after `send` of `body`'s bytes (a client that vanishes
 * mid-upload): resolves once the socket is closed.
 */
export async function cutPatch(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  send: number,
): Promise<void> {
  const u = new URL(url);
  const sock = net.connect({ host: u.hostname, port: Number(u.port) });
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const lines = [
    `PATCH ${u.pathname} HTTP/1.1`,
    `Host: ${u.host}`,
    `Content-Length: ${body.length}`,
    'Content-Type: application/offset+octet-stream',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ];
  sock.write(lines.join('\r\n'));
  const part = body.subarray(0, send);
  for (let at = 0; at < part.length; at += 64 * 1024) {
    if (!sock.write(part.subarray(at, at + 64 * 1024))) {
      await new Promise((r) => sock.once('drain', r).once('close', r));
    }
  }
  await new Promise((r) => setTimeout(r, 20));
  sock.destroy();
}
