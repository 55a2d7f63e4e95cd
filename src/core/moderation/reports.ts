import { createHash } from 'node:crypto';
import { CoreError, invalidInput, type ValidationIssue } from '../errors.js';
import type { FileService } from '../files.js';
import { newId } from '../ids.js';
import type { SharedState } from '../shared-state.js';
import type { Actor, AuditLog } from './audit.js';
import type { BlockService } from './blocks.js';
import { ABUSE_TYPES } from './abuse-types.js';

export const REPORT_STATUSES = ['open', 'resolved', 'dismissed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const DESCRIPTION_MAX = 10_000;
/** Reporter addresses are kept this long, then replaced by their salted hash. */
export const REPORTER_IP_DAYS = 30;
const DAY_MS = 86_400_000;
export const HASHED_PREFIX = 'sha256:';

export interface AbuseReport {
  id: string;
  fileId: string;
  type: string;
  description: string;
  /** The reporter's address, or `sha256:<hex>` of it (with the instance secret) after 30 days. */
  reporterIp: string;
  reporterUserId: string | null;
  createdAt: number;
  status: ReportStatus;
  resolvedAt: number | null;
  /** The actor's name. */
  resolvedBy: string | null;
  resolution: string | null;
}

export interface ReportQuery {
  /** Absent: every status. */
  status?: ReportStatus;
  fileId?: string;
  limit: number;
  offset: number;
}

/** Storage port of the abuse reports. */
export interface ReportRepository {
  insert(report: AbuseReport): Promise<void>;
  get(id: string): Promise<AbuseReport | null>;
  /** Newest first. */
  list(query: ReportQuery): Promise<{ reports: AbuseReport[]; total: number }>;
  /** Whether a report on this file came from any of these addresses (raw or hashed). */
  existsFrom(fileId: string, reporterIps: readonly string[]): Promise<boolean>;
  /** Close reports: these ids (whatever their state), or a file's open ones; the ids closed. */
  close(
    which: { ids: readonly string[] } | { fileId: string },
    status: Exclude<ReportStatus, 'open'>,
    by: { at: number; name: string; resolution: string },
  ): Promise<string[]>;
  /** Reports made before `before` whose address is not hashed yet, at most `limit`. */
  unhashedBefore(before: number, limit: number): Promise<{ id: string; reporterIp: string }[]>;
  setReporterIp(id: string, reporterIp: string): Promise<void>;
  /** How many reports are open. */
  countOpen(): Promise<number>;
}

export interface ReportServiceOptions {
  /** Reports per client address per hour (0 = no limit). */
  perIpPerHour: number;
  /** The instance secret mixed into hashed addresses. */
  secret: () => Promise<string>;
  now?: () => number;
}

export interface NewReport {
  type: string;
  description: string;
}

/**
 * Abuse reports: anyone may report a file once (per address); admins resolve a report by blocking
 * the file (every open report of the file is resolved with it) or dismiss it. Addresses are kept
 * 30 days, then only their salted hash (still enough to refuse a second report).
 */
export class ReportService {
  private readonly now: () => number;

  constructor(
    private readonly repo: ReportRepository,
    private readonly files: FileService,
    private readonly blocks: BlockService,
    private readonly state: SharedState,
    private readonly audit: AuditLog,
    private readonly opts: ReportServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The salted hash that replaces an address after 30 days. */
  async hashIp(ip: string): Promise<string> {
    const secret = await this.opts.secret();
    return (
      HASHED_PREFIX +
      createHash('sha256')
        .update(ip + secret)
        .digest('hex')
    );
  }

  /**
   * Report a file. Bad fields: invalid_input (invalid_enum for the type, out_of_range for the
   * description); no such file: not_found; blocked already: file_already_blocked; reported by this
   * address before: already_reported; over the per-address limit: rate_limited.
   */
  async create(
    fileId: string,
    input: NewReport,
    reporter: { ip: string; userId: string | null },
  ): Promise<AbuseReport> {
    const type = input.type.trim();
    const issues: ValidationIssue[] = [];
    if (type === '') issues.push({ field: 'type', problem: 'missing' });
    else if (!(ABUSE_TYPES as readonly string[]).includes(type))
      issues.push({ field: 'type', problem: 'invalid_enum', allowed: ABUSE_TYPES });
    if (input.description.length > DESCRIPTION_MAX)
      issues.push({
        field: 'description',
        problem: 'out_of_range',
        min: 0,
        max: DESCRIPTION_MAX,
        len: input.description.length,
      });
    const file = await this.files.get(fileId);
    if (issues.length > 0) throw invalidInput(issues);
    if (file.abuseType)
      throw new CoreError('file_already_blocked', 'This file has already been blocked');
    const hashed = await this.hashIp(reporter.ip);
    if (await this.repo.existsFrom(file.id, [reporter.ip, hashed]))
      throw new CoreError('already_reported', 'You have already reported this file');
    if (this.opts.perIpPerHour > 0) {
      const { count, resetMs } = await this.state.increment(`report:ip:${reporter.ip}`, 3600_000);
      if (count > this.opts.perIpPerHour)
        throw new CoreError('rate_limited', 'Too many reports from this address', {
          retryAfterMs: resetMs,
        });
    }
    const report: AbuseReport = {
      id: newId(16),
      fileId: file.id,
      type,
      description: input.description,
      reporterIp: reporter.ip,
      reporterUserId: reporter.userId,
      createdAt: this.now(),
      status: 'open',
      resolvedAt: null,
      resolvedBy: null,
      resolution: null,
    };
    await this.repo.insert(report);
    return report;
  }

  async get(id: string): Promise<AbuseReport> {
    const r = await this.repo.get(id);
    if (!r) throw new CoreError('not_found', 'The report could not be found');
    return r;
  }

  list(query: Partial<ReportQuery> = {}): Promise<{ reports: AbuseReport[]; total: number }> {
    return this.repo.list({
      ...query,
      limit: Math.min(Math.max(1, Math.floor(query.limit ?? 50)), 500),
      offset: Math.max(0, Math.floor(query.offset ?? 0)),
    });
  }

  countOpen(): Promise<number> {
    return this.repo.countOpen();
  }

  /**
   * Resolve a report: `block` blocks its file with the report's type (if the file still exists)
   * and resolves every open report of that file; `dismiss` dismisses this one. Audit-logged.
   */
  async resolve(id: string, action: string, actor: Actor, reason = ''): Promise<AbuseReport> {
    if (action !== 'block' && action !== 'dismiss')
      throw invalidInput([
        { field: 'action', problem: 'invalid_enum', allowed: ['block', 'dismiss'] },
      ]);
    const report = await this.get(id);
    const by = {
      at: this.now(),
      name: actor.name,
      resolution: action === 'block' ? 'blocked' : 'dismissed',
    };
    let closed: string[];
    if (action === 'block') {
      // The file may be gone (deleted, expired) or blocked already: then only the reports close.
      const blockable = await this.files.get(report.fileId).then(
        (f) => !f.abuseType,
        () => false,
      );
      if (blockable)
        await this.blocks.block(report.fileId, report.type, reason, actor, { report: report.id });
      closed = await this.repo.close({ fileId: report.fileId }, 'resolved', by);
      // This one too, even if it was closed before (a dismissed report acted on after all).
      if (!closed.includes(id)) await this.repo.close({ ids: [id] }, 'resolved', by);
    } else {
      closed = await this.repo.close({ ids: [id] }, 'dismissed', by);
    }
    await this.audit.record(actor, 'report.resolve', { type: 'report', id }, reason, {
      action,
      file_id: report.fileId,
      type: report.type,
      reports_closed: closed.length,
    });
    return this.get(id);
  }

  /**
   * Replace the addresses of reports older than 30 days by their salted hash; how many changed.
   * Runs in batches until none are left (`lease` renewed before each).
   */
  async hashOldAddresses(lease: () => Promise<boolean> = async () => true, batch = 500) {
    const before = this.now() - REPORTER_IP_DAYS * DAY_MS;
    let total = 0;
    for (;;) {
      if (!(await lease())) return total;
      const rows = await this.repo.unhashedBefore(before, batch);
      for (const r of rows) await this.repo.setReporterIp(r.id, await this.hashIp(r.reporterIp));
      total += rows.length;
      if (rows.length < batch) return total;
    }
  }
}
