import readline from 'node:readline';
import { Writable } from 'node:stream';
import { Api, encodePath, fileIdFrom } from './http.js';
import { ClientError, EXIT, usageError } from './errors.js';
import { normalizeUrl, writeSettings } from './config.js';
import type { FileInfo } from './download.js';

/** Ask a question on the terminal; `secret` hides what is typed. */
async function ask(question: string, secret = false): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = readline.createInterface({
    input: process.stdin,
    output,
    terminal: !!process.stdin.isTTY,
  });
  try {
    const answer = new Promise<string>((resolve, reject) => {
      rl.question(question, resolve);
      rl.on('close', () => reject(usageError('no answer')));
    });
    muted = secret;
    const a = await answer;
    if (secret) process.stderr.write('\n');
    return a.trim();
  } finally {
    rl.close();
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export interface UserInfo {
  username: string;
  [k: string]: unknown;
}

/** `stowage login`: check the URL and key with GET /api/user, then write the config file. */
export async function login(opts: {
  url?: string;
  key?: string;
  keyStdin?: boolean;
}): Promise<{ username: string; url: string; file: string }> {
  const interactive = !!process.stdin.isTTY;
  let url = opts.url ?? process.env.STOWAGE_URL;
  if (!url) {
    if (!interactive) throw usageError('pass --url (stdin is not a terminal to ask on)');
    url = await ask('Server URL (e.g. https://files.example.org): ');
  }
  url = normalizeUrl(url);
  let key = opts.key;
  if (!key && opts.keyStdin) key = await readAllStdin();
  if (!key) {
    if (!interactive)
      throw usageError('pass --key or --key-stdin (stdin is not a terminal to ask on)');
    key = await ask('API key (from the account page, "API keys"): ', true);
  }
  key = key.trim();
  if (!key) throw usageError('the API key is empty');
  const api = new Api({ url, key });
  const user = await api.json<UserInfo>('/api/user');
  const file = writeSettings({ url, key });
  return { username: user.username, url, file };
}

export const infoLines = (info: FileInfo): string[] =>
  Object.entries(info)
    .filter(([k, v]) => k !== 'success' && (typeof v !== 'object' || v === null))
    .map(([k, v]) => `${k}: ${String(v)}`);

export async function fileInfo(api: Api, input: string): Promise<FileInfo> {
  const id = fileIdFrom(input);
  if (!id || id.includes('/')) throw usageError(`not a file id or URL: "${input}"`);
  return api.json<FileInfo>(`/api/file/${encodeURIComponent(id)}/info`);
}

export async function userFiles(api: Api): Promise<FileInfo[]> {
  if (!api.settings.key)
    throw usageError('listing your files needs a key (--key, STOWAGE_KEY or login)');
  const body = await api.json<{ files: FileInfo[] }>('/api/user/files');
  return body.files;
}

export interface FsNode {
  type: 'dir' | 'file';
  path: string;
  name: string;
  file_size: number;
  modified: string;
  [k: string]: unknown;
}

/**
 * A filesystem path with its bucket: `docs` and `me/docs` are your `/me/docs`; a path starting
 * with `/` names its bucket (`/me/docs`, or a shared node `/abcd1234/sub`).
 */
export function filesystemPath(p: string): string {
  const clean = p.replace(/\/+/g, '/').replace(/\/$/, '');
  if (clean.startsWith('/')) return clean.slice(1) || 'me';
  if (clean === '' || clean === '.' || clean === 'me' || clean.startsWith('me/'))
    return clean === '.' ? 'me' : clean || 'me';
  return `me/${clean.replace(/^\.\//, '')}`;
}

export async function listDirectory(
  api: Api,
  p: string,
): Promise<{ path: string; children: FsNode[] }> {
  const fsPath = filesystemPath(p);
  const body = await api.json<{ path: FsNode[]; base_index: number; children: FsNode[] }>(
    `/api/filesystem/${encodePath(fsPath)}?stat`,
  );
  const self = body.path[body.base_index];
  if (self && self.type === 'file') return { path: self.path, children: [self] };
  return { path: self?.path ?? `/${fsPath}`, children: body.children };
}

export async function removeFile(api: Api, input: string): Promise<string> {
  const id = fileIdFrom(input);
  if (!id || id.includes('/')) throw usageError(`not a file id or URL: "${input}"`);
  await api.ok(`/api/file/${encodeURIComponent(id)}`, { method: 'DELETE' });
  return id;
}

export async function createList(
  api: Api,
  ids: string[],
  title: string | undefined,
): Promise<{ id: string; url: string }> {
  if (ids.length === 0) throw usageError('a list needs at least one file id');
  const body = await api.json<{ id?: string }>('/api/list', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      title: title ?? 'stowage list',
      anonymous: false,
      files: ids.map((i) => ({ id: fileIdFrom(i) })),
    }),
  });
  if (!body.id) throw new ClientError('bad_response', 'the server named no list', EXIT.network);
  return { id: body.id, url: `${api.base}/l/${body.id}` };
}
