// The directory page's pure parts: addresses (each component encoded on its own), the order of
// a listing, and how /d/ addresses are split on the server.
import { describe, expect, it } from 'vitest';
import { segmentsOf } from '../../src/http/web/filesystem.page.js';
import type { FsNode } from '../../src/http/web/page-types.js';
import {
  encodePath,
  isWithin,
  nameProblem,
  pageHref,
  parentOf,
  pathOfPage,
  zipUrl,
} from '../../web/src/lib/filesystem/paths.js';
import { sortNodes } from '../../web/src/lib/filesystem/sort.js';

const node = (name: string, type: 'file' | 'dir', size: number, modified: string): FsNode => ({
  type,
  path: `/me/${name}`,
  name,
  created: modified,
  modified,
  mode_octal: '644',
  file_size: size,
  file_type: '',
  sha256_sum: '',
});

describe('addresses', () => {
  it('encodes each component on its own, and reads them back', () => {
    const path = '/me/a b/#1?/100%/é';
    expect(encodePath(path)).toBe('me/a%20b/%231%3F/100%25/%C3%A9');
    expect(pageHref(path)).toBe('/d/me/a%20b/%231%3F/100%25/%C3%A9');
    expect(zipUrl('/me/x y')).toBe('/api/filesystem/me/x%20y?bulk_download');
    expect(pathOfPage(pageHref(path))).toBe(path);
    expect(pathOfPage('/d/')).toBeNull();
    expect(pathOfPage('/d/me/%E0%A4%A')).toBeNull();
    expect(pathOfPage('/u/abc')).toBeNull();
  });

  it('parents and containment', () => {
    expect(parentOf('/me/a/b')).toBe('/me/a');
    expect(parentOf('/me')).toBe('/me');
    expect(isWithin('/me/a/b', '/me/a')).toBe(true);
    expect(isWithin('/me/a', '/me/a')).toBe(true);
    expect(isWithin('/me/ab', '/me/a')).toBe(false);
  });

  it('names the form refuses before asking', () => {
    expect(nameProblem('ok name.txt')).toBe('');
    expect(nameProblem('')).not.toBe('');
    expect(nameProblem('a/b')).not.toBe('');
    expect(nameProblem('..')).not.toBe('');
    expect(nameProblem('tab\there')).not.toBe('');
    expect(nameProblem('é'.repeat(128))).not.toBe(''); // 256 bytes
  });

  it('the server splits /d/ addresses the same way, refusing what no node can be called', () => {
    expect(segmentsOf('/d/me/a%20b/%231%3F?x=1')).toEqual(['me', 'a b', '#1?']);
    expect(segmentsOf('/d/me//docs/')).toEqual(['me', 'docs']);
    expect(segmentsOf('/d/')).toEqual([]);
    for (const bad of ['/d/me/a%2Fb', '/d/me/%2E%2E', '/d/me/.', '/d/me/%E0%A4%A', '/d/me/%00']) {
      expect(segmentsOf(bad), bad).toBeNull();
    }
  });
});

describe('sortNodes', () => {
  const nodes = [
    node('b10.txt', 'file', 5, '2024-01-03T00:00:00Z'),
    node('B2.txt', 'file', 50, '2024-01-01T00:00:00Z'),
    node('zeta', 'dir', 0, '2024-01-02T00:00:00Z'),
    node('alpha', 'dir', 0, '2024-01-04T00:00:00Z'),
  ];
  const names = (ns: FsNode[]) => ns.map((n) => n.name);

  it('folders first, then natural name order either way', () => {
    expect(names(sortNodes(nodes, 'name', 'asc'))).toEqual(['alpha', 'zeta', 'B2.txt', 'b10.txt']);
    expect(names(sortNodes(nodes, 'name', 'desc'))).toEqual(['zeta', 'alpha', 'b10.txt', 'B2.txt']);
  });

  it('by size and by modification time', () => {
    expect(names(sortNodes(nodes, 'size', 'desc'))).toEqual(['alpha', 'zeta', 'B2.txt', 'b10.txt']);
    expect(names(sortNodes(nodes, 'modified', 'desc'))).toEqual([
      'alpha',
      'zeta',
      'b10.txt',
      'B2.txt',
    ]);
    expect(names(sortNodes(nodes, 'modified', 'asc'))).toEqual([
      'zeta',
      'alpha',
      'B2.txt',
      'b10.txt',
    ]);
  });
});
