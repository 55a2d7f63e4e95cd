import { describe, expect, it } from 'vitest';
import { AuditLog, CLI_ACTOR, type AuditEntry, type AuditRepository } from './audit.js';

class MemoryAudit implements AuditRepository {
  rows: AuditEntry[] = [];
  async insert(e: AuditEntry) {
    this.rows.push(e);
  }
  async list(q: { limit: number; offset: number; targetId?: string }) {
    const all = this.rows
      .filter((r) => !q.targetId || r.targetId === q.targetId)
      .sort((a, b) => b.at - a.at);
    return { entries: all.slice(q.offset, q.offset + q.limit), total: all.length };
  }
}

describe('AuditLog', () => {
  it('records who did what to what, when and why, newest first', async () => {
    let t = 1000;
    const repo = new MemoryAudit();
    const log = new AuditLog(repo, { now: () => t });
    await log.record(CLI_ACTOR, 'file.block', { type: 'file', id: 'abc' }, '  spam ');
    t = 2000;
    await log.record({ userId: 'u1', name: 'alice' }, 'user.disable', { type: 'user', id: 'u2' });
    const { entries, total } = await log.list();
    expect(total).toBe(2);
    expect(entries.map((e) => [e.action, e.actorName, e.at, e.reason])).toEqual([
      ['user.disable', 'alice', 2000, ''],
      ['file.block', 'cli', 1000, 'spam'],
    ]);
    expect((await log.list({ targetId: 'abc' })).entries).toHaveLength(1);
  });

  it('tells the logger it was given of each action, by ids, without reason or details', async () => {
    const log = new AuditLog(new MemoryAudit());
    await log.record(CLI_ACTOR, 'file.block', { type: 'file', id: 'before' });
    const lines: Array<{ obj: object; msg: string }> = [];
    log.useLogger({ info: (obj, msg) => lines.push({ obj, msg }) });
    const entry = await log.record(
      { userId: 'u1', name: 'alice' },
      'user.disable',
      { type: 'user', id: 'u2' },
      'spam reports',
      { note: 'hidden' },
    );
    expect(lines).toEqual([
      {
        obj: {
          event: 'admin',
          audit: entry.id,
          action: 'user.disable',
          actor: 'alice',
          actorId: 'u1',
          targetType: 'user',
          target: 'u2',
        },
        msg: 'admin: user.disable',
      },
    ]);
  });

  it('bounds the page size', async () => {
    const repo = new MemoryAudit();
    const log = new AuditLog(repo);
    for (let i = 0; i < 3; i++) await log.record(CLI_ACTOR, 'x', { type: 'file', id: String(i) });
    expect((await log.list({ limit: 0 })).entries).toHaveLength(1);
    expect((await log.list({ limit: 2, offset: 2 })).entries).toHaveLength(1);
  });
});
