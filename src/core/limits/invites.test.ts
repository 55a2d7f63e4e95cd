import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors.js';
import { AuditLog, CLI_ACTOR, type AuditEntry } from '../moderation/audit.js';
import { InviteService } from './invites.js';
import type { InviteRecord, InviteRepository } from './records.js';

class MemoryInvites implements InviteRepository {
  rows: InviteRecord[] = [];
  async insert(i: InviteRecord) {
    this.rows.push({ ...i });
  }
  async list(limit: number, offset: number) {
    const all = [...this.rows].sort((a, b) => b.createdAt - a.createdAt);
    return { invites: all.slice(offset, offset + limit), total: all.length };
  }
  async consume(hash: string, now: number, usedBy: string) {
    const r = this.rows.find((i) => i.codeHash === hash && i.usedAt === null && i.expiresAt > now);
    if (!r) return false;
    r.usedAt = now;
    r.usedBy = usedBy;
    return true;
  }
  async release(hash: string) {
    const r = this.rows.find((i) => i.codeHash === hash);
    if (r) Object.assign(r, { usedAt: null, usedBy: null });
  }
}

function setup() {
  let now = 1_000_000;
  const repo = new MemoryInvites();
  const entries: AuditEntry[] = [];
  const audit = new AuditLog(
    { insert: async (e) => void entries.push(e), list: async () => ({ entries, total: 0 }) },
    { now: () => now },
  );
  const invites = new InviteService(repo, audit, { now: () => now });
  return { invites, repo, entries, tick: (ms: number) => (now += ms) };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof CoreError ? e.code : String(e)),
  );

describe('InviteService', () => {
  it('keeps only the hash, audit-logs the creation, and lets one registration use it', async () => {
    const { invites, repo, entries } = setup();
    const made = await invites.create(CLI_ACTOR, 7, 'friend');
    expect(JSON.stringify(repo.rows)).not.toContain(made.code);
    expect(repo.rows[0]!.codeHash.startsWith(made.id)).toBe(true);
    expect(entries[0]).toMatchObject({
      action: 'invite.create',
      actorName: 'cli',
      targetId: made.id,
      reason: 'friend',
    });
    expect(await code(invites.consume(made.code, 'bob'))).toBeNull();
    expect(await code(invites.consume(made.code, 'eve'))).toBe('invite_invalid');
    await invites.release(made.code);
    expect(await code(invites.consume(` ${made.code} `, 'eve'))).toBeNull();
    expect((await invites.list()).invites[0]).toMatchObject({ id: made.id, usedBy: 'eve' });
  });

  it('refuses an expired, an unknown or an empty code', async () => {
    const { invites, tick } = setup();
    const made = await invites.create(CLI_ACTOR, 1);
    tick(86_400_000);
    expect(await code(invites.consume(made.code, 'late'))).toBe('invite_invalid');
    expect(await code(invites.consume('nope', 'x'))).toBe('invite_invalid');
    expect(await code(invites.consume('', 'x'))).toBe('invite_invalid');
  });

  it('refuses a validity outside 1 to 365 days', async () => {
    const { invites } = setup();
    for (const days of [0, 366, 1.5]) {
      expect(await code(invites.create(CLI_ACTOR, days))).toBe('invalid_input');
    }
  });
});
