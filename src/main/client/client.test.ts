import { describe, expect, it } from 'vitest';
import { filesystemPath } from './account.js';
import { normalizeUrl, parseSize, resolveSettings } from './config.js';
import { safeFileName } from './download.js';
import { ClientError } from './errors.js';
import { fileIdFrom } from './http.js';
import { batchExitCode } from './upload.js';

describe('client helpers', () => {
  it('parses sizes: binary without a B or with iB, decimal with B', () => {
    expect(parseSize('64MiB', 'x', 1)).toBe(64 * 1024 * 1024);
    expect(parseSize('512k', 'x', 1)).toBe(512 * 1024);
    expect(parseSize('1MB', 'x', 1)).toBe(1_000_000);
    expect(parseSize('1048576', 'x', 1)).toBe(1048576);
    expect(parseSize(undefined, 'x', 7)).toBe(7);
    expect(() => parseSize('lots', 'STOWAGE_CLIENT_CHUNK_SIZE', 1)).toThrow(
      /STOWAGE_CLIENT_CHUNK_SIZE/,
    );
    expect(() => parseSize('0', 'x', 1)).toThrow(ClientError);
  });

  it('normalizes server URLs and refuses others', () => {
    expect(normalizeUrl('https://files.example.org/')).toBe('https://files.example.org');
    expect(normalizeUrl('http://h:8080/prefix/?q#f')).toBe('http://h:8080/prefix');
    expect(() => normalizeUrl('ftp://h')).toThrow(/http or https/);
    expect(() => normalizeUrl('http://u:key@h')).toThrow(/--key/);
    expect(() => normalizeUrl('not a url')).toThrow(/not a URL/);
  });

  it('takes the URL and key from flags, then the environment', () => {
    const env = {
      XDG_CONFIG_HOME: '/nonexistent-stowage-test',
      STOWAGE_URL: 'http://env',
      STOWAGE_KEY: 'k1',
    };
    expect(resolveSettings({}, env)).toEqual({ url: 'http://env', key: 'k1' });
    expect(resolveSettings({ url: 'http://flag', key: 'k2' }, env)).toEqual({
      url: 'http://flag',
      key: 'k2',
    });
    expect(() => resolveSettings({}, { XDG_CONFIG_HOME: '/nonexistent-stowage-test' })).toThrow(
      /no server/,
    );
  });

  it('finds file ids in ids and URLs', () => {
    expect(fileIdFrom('abc123')).toBe('abc123');
    expect(fileIdFrom('https://h/u/abc123')).toBe('abc123');
    expect(fileIdFrom('https://h/api/file/abc123/info')).toBe('abc123');
    expect(fileIdFrom('/u/abc123?embed')).toBe('abc123');
  });

  it('maps paths to filesystem buckets', () => {
    expect(filesystemPath('docs/a')).toBe('me/docs/a');
    expect(filesystemPath('me/docs')).toBe('me/docs');
    expect(filesystemPath('/me/docs/')).toBe('me/docs');
    expect(filesystemPath('/abcd1234/sub')).toBe('abcd1234/sub');
    expect(filesystemPath('')).toBe('me');
  });

  it('makes server-given names safe to create here', () => {
    expect(safeFileName('../../etc/passwd', 'id')).toBe('_.._etc_passwd');
    expect(safeFileName('..', 'id')).toBe('id');
    expect(safeFileName('a\u0000b\nc.txt', 'id')).toBe('abc.txt');
  });

  it('exit codes of a batch: 0, 4 for some failures, else the first failure', () => {
    expect(batchExitCode([{ ok: true }])).toBe(0);
    expect(batchExitCode([{ ok: true }, { ok: false, exit_code: 2 }])).toBe(4);
    expect(
      batchExitCode([
        { ok: false, exit_code: 1 },
        { ok: false, exit_code: 2 },
      ]),
    ).toBe(1);
  });
});
