import { describe, expect, it } from 'vitest';
import type { FileService } from '../files.js';
import { AuditLog, CLI_ACTOR, type AuditEntry } from './audit.js';
import {
  abuseTypeOf,
  BlockService,
  normalizeSha256,
  type BlockedHash,
  type BlockRepository,
} from './blocks.js';

class MemoryBlocks implements BlockRepository {
  hashes = new Map<string, BlockedHash>();
  async setBlock() {
    return 0;
  }
  async fileIdsWithContent() {
    return [];
  }
  async insertHash(h: BlockedHash) {
    if (this.hashes.has(h.sha256)) return false;
    this.hashes.set(h.sha256, h);
    return true;
  }
  async deleteHash(sha: string) {
    return this.hashes.delete(sha);
  }
  async isHashBlocked(sha: string) {
    return this.hashes.has(sha);
  }
  async listHashes() {
    return { hashes: [...this.hashes.values()], total: this.hashes.size };
  }
}

const audit = () => {
  const rows: AuditEntry[] = [];
  return {
    rows,
    log: new AuditLog({
      insert: async (e) => void rows.push(e),
      list: async () => ({ entries: rows, total: rows.length }),
    }),
  };
};

describe('blocks', () => {
  it('normalizes SHA-256 hex and refuses anything else', () => {
    expect(normalizeSha256(' ' + 'AB'.repeat(32) + ' ')).toBe('ab'.repeat(32));
    expect(() => normalizeSha256('abc')).toThrow(
      expect.objectContaining({ code: 'invalid_input' }),
    );
    expect(() => normalizeSha256('g'.repeat(64))).toThrow();
  });

  it('abuse types: default other, unknown refused with the allowed values', () => {
    expect(abuseTypeOf(undefined)).toBe('other');
    expect(abuseTypeOf(' gore ')).toBe('gore');
    try {
      abuseTypeOf('spam');
      expect.unreachable();
    } catch (err) {
      const issues = (err as { extra: { issues: { allowed: string[] }[] } }).extra.issues;
      expect(issues[0]!.allowed).toContain('child_abuse');
    }
  });

  it('screens uploads against blocked hashes; unblocking an unknown hash is not_found', async () => {
    const repo = new MemoryBlocks();
    const { rows, log } = audit();
    const blocks = new BlockService(repo, {} as FileService, log, { now: () => 5 });
    const sha = 'cd'.repeat(32);
    await expect(blocks.screen(sha)).resolves.toBeUndefined();
    await blocks.blockHash(sha, ' bad ', CLI_ACTOR);
    await expect(blocks.screen(sha)).rejects.toMatchObject({ code: 'content_blocked' });
    expect(repo.hashes.get(sha)).toEqual({
      sha256: sha,
      reason: 'bad',
      createdAt: 5,
      createdBy: 'cli',
    });
    await blocks.unblockHash(sha.toUpperCase(), 'ok', CLI_ACTOR);
    await expect(blocks.screen(sha)).resolves.toBeUndefined();
    await expect(blocks.unblockHash(sha, '', CLI_ACTOR)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(rows.map((r) => r.action)).toEqual(['hash.block', 'hash.unblock']);
  });
});
