import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MediaInput } from '../core/media-ports.js';

/** Inputs up to this size are decoded from memory when they have no local file. */
const IN_MEMORY_MAX = 8 * 1024 * 1024;

/**
 * Run `fn` with a local file holding the input: the blob's own file when the store has one, else
 * a temporary copy (inline blobs, rendered frames, remote stores), removed afterwards.
 */
export async function withLocalFile<T>(
  input: MediaInput,
  fn: (file: string) => Promise<T>,
): Promise<T> {
  if (input.path) return fn(input.path);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-media-'));
  const file = path.join(dir, `input-${randomBytes(4).toString('hex')}`);
  try {
    if (input.bytes) await fs.writeFile(file, input.bytes, { mode: 0o600 });
    else await pipeline(await input.open(), createWriteStream(file, { mode: 0o600 }));
    return await fn(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A path or the bytes, whichever an in-process decoder can take without a copy to disk. */
export async function withPathOrBytes<T>(
  input: MediaInput,
  fn: (src: string | Buffer) => Promise<T>,
): Promise<T> {
  if (input.bytes) return fn(input.bytes);
  if (input.path) return fn(input.path);
  if (input.size <= IN_MEMORY_MAX) {
    const chunks: Buffer[] = [];
    for await (const c of await input.open()) chunks.push(c as Buffer);
    return fn(Buffer.concat(chunks));
  }
  return withLocalFile(input, fn);
}
