import { describe, expect, it } from 'vitest';
import type { FileService } from '../files.js';
import { AuditLog, CLI_ACTOR, type AuditEntry } from './audit.js';
import {
  abuseTypeOf,
  BlockService,
  normalizeSha256,
  SCREEN_REFRESH_MS,
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
  queries = 0;
  async isHashBlocked(sha: string) {
    this.queries++;
    return this.hashes.has(sha);
  }
  reads = 0;
  async someHashes(limit: number) {
    this.reads++;
    return [...this.hashes.keys()].slice(0, limit);
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

  it("screens from a set in memory: one read per refresh, other nodes' blocks seen after it", async () => {
    let now = 1000;
    const repo = new MemoryBlocks();
    const blocks = new BlockService(repo, {} as FileService, audit().log, { now: () => now });
    const sha = 'ef'.repeat(32);
    for (let i = 0; i < 5; i++) await blocks.screen(sha);
    expect(repo.reads).toBe(1);
    expect(repo.queries).toBe(0);
    // Blocked by another node (straight into the table): refused once the set is read again.
    repo.hashes.set(sha, { sha256: sha, reason: '', createdAt: now, createdBy: 'x' });
    await expect(blocks.screen(sha)).resolves.toBeUndefined();
    now += SCREEN_REFRESH_MS;
    await expect(blocks.screen(sha)).rejects.toMatchObject({ code: 'content_blocked' });
    expect(repo.reads).toBe(2);
  });
});
