import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The EICAR test file (the standard 68-byte string every scanner detects). */
export const EICAR = Buffer.from(
  'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!H+H*',
  'latin1',
);
/** Bytes our own test signature matches anywhere in a file. */
export const OWN_MARKER = 'STOWAGE-TEST-MALWARE';
/** The signature names clamd reports (custom databases get `.UNOFFICIAL`). */
export const EICAR_SIG = 'Stowage.Test.EICAR.UNOFFICIAL';
export const OWN_SIG = 'Stowage.Test.Malware.UNOFFICIAL';

export interface Clamd {
  /** `unix:<socket>`, for STOWAGE_CLAMAV. */
  address: string;
  socket: string;
  dir: string;
  /** Stop the daemon (the socket goes); `start` brings it back on the same socket. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop it and remove its directory. */
  close(): Promise<void>;
}

/**
 * A real clamd (/usr/sbin/clamd) with a signature database of our own only (no freshclam, no
 * network): EICAR and OWN_MARKER as `.ndb` body signatures, listening on a unix socket in a temp
 * dir, StreamMaxLength `streamMax` (default 1M) so the too-large case can be tested; `extraConfig`:
 * more clamd.conf lines.
 */
export async function startClamd(
  opts: { streamMax?: string; extraConfig?: string[] } = {},
): Promise<Clamd> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-clamd-'));
  const socket = path.join(dir, 'clamd.sock');
  await fs.writeFile(
    path.join(dir, 'stowage-test.ndb'),
    `Stowage.Test.EICAR:0:*:${EICAR.toString('hex')}\n` +
      `Stowage.Test.Malware:0:*:${Buffer.from(OWN_MARKER).toString('hex')}\n`,
  );
  // No `User`: clamd keeps the current user (root in CI, where it would otherwise drop to clamav).
  await fs.writeFile(
    path.join(dir, 'clamd.conf'),
    [
      `LocalSocket ${socket}`,
      `DatabaseDirectory ${dir}`,
      'Foreground yes',
      `StreamMaxLength ${opts.streamMax ?? '1M'}`,
      `PidFile ${path.join(dir, 'clamd.pid')}`,
      `LogFile ${path.join(dir, 'clamd.log')}`,
      'SelfCheck 0',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  const running = (c: ChildProcess | null): c is ChildProcess =>
    c !== null && c.exitCode === null && c.signalCode === null;
  const start = async () => {
    // Idempotent: a second clamd on the same socket would outlive its stop.
    if (running(child)) return;
    const c = spawn('/usr/sbin/clamd', ['-c', path.join(dir, 'clamd.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = c;
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', (err) => (stderr += String(err)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (await answers(socket)) return;
      if (c.exitCode !== null || c.signalCode !== null || Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`clamd did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!running(c)) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    await fs.rm(socket, { force: true });
  };
  await start().catch(async (err: unknown) => {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    address: `unix:${socket}`,
    socket,
    dir,
    start,
    stop,
    close: async () => {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether clamd answers PING on the socket. */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path: socket });
    s.setTimeout(1000);
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('connect', () => s.write('zPING\0'));
    s.on('error', () => resolve(false));
    s.on('timeout', () => s.destroy());
    s.on('close', () => resolve(got.startsWith('PONG')));
  });
}
