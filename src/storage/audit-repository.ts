import type {
  AuditEntry,
  AuditQuery,
  AuditRepository,
  AuditTarget,
} from '../core/moderation/audit.js';
import type { Db } from './db.js';
import { num } from './schema.js';

function detailsOf(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export class KyselyAuditRepository implements AuditRepository {
  constructor(private readonly db: Db) {}

  async insert(e: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        id: e.id,
        at: e.at,
        actor_id: e.actorId,
        actor_name: e.actorName,
        action: e.action,
        target_type: e.targetType,
        target_id: e.targetId,
        reason: e.reason,
        details: JSON.stringify(e.details),
      })
      .execute();
  }

  async list(q: AuditQuery): Promise<{ entries: AuditEntry[]; total: number }> {
    let base = this.db.selectFrom('audit_log');
    if (q.targetType) base = base.where('target_type', '=', q.targetType);
    if (q.targetId) base = base.where('target_id', '=', q.targetId);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id')
        .limit(q.limit)
        .offset(q.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: num(count.n),
      entries: rows.map((r) => ({
        id: r.id,
        at: num(r.at),
        actorId: r.actor_id,
        actorName: r.actor_name,
        action: r.action,
        targetType: r.target_type as AuditTarget,
        targetId: r.target_id,
        reason: r.reason,
        details: detailsOf(r.details),
      })),
    };
  }
}
