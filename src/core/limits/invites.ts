import { createHash } from 'node:crypto';
import { CoreError } from '../errors.js';
import { newId } from '../ids.js';
import type { Actor, AuditLog } from '../moderation/audit.js';
import type { InviteRecord, InviteRepository } from './records.js';

const DAY_MS = 24 * 3600 * 1000;
/** Longest validity of an invite. */
export const INVITE_MAX_DAYS = 365;
export const INVITE_DEFAULT_DAYS = 7;

export interface InviteView {
  /** First 8 hex digits of the code's hash: enough to tell invites apart, useless to register. */
  id: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number;
  usedAt: number | null;
  usedBy: string | null;
}

export interface NewInvite {
  /** The code itself: shown once, only its SHA-256 is kept. */
  code: string;
  id: string;
  expiresAt: number;
}

function hashOf(code: string): string {
  return createHash('sha256').update(code.trim()).digest('hex');
}

/**
 * Single-use registration invites (STOWAGE_REGISTRATION=invite). Admins (API, CLI) create them;
 * a registration consumes one. Creation is written to the audit log.
 */
export class InviteService {
  private readonly now: () => number;

  constructor(
    private readonly repo: InviteRepository,
    private readonly audit: AuditLog,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async create(actor: Actor, days = INVITE_DEFAULT_DAYS, reason = ''): Promise<NewInvite> {
    if (!Number.isInteger(days) || days < 1 || days > INVITE_MAX_DAYS) {
      throw new CoreError('invalid_input', `An invite is valid for 1 to ${INVITE_MAX_DAYS} days`, {
        issues: [
          { field: 'days', problem: 'out_of_range', min: 1, max: INVITE_MAX_DAYS, len: days },
        ],
      });
    }
    // 32 characters of [A-Za-z0-9]: ~190 bits, typed into a URL without escaping.
    const code = newId(32);
    const at = this.now();
    const record: InviteRecord = {
      codeHash: hashOf(code),
      createdBy: actor.userId ?? actor.name,
      createdAt: at,
      expiresAt: at + days * DAY_MS,
      usedAt: null,
      usedBy: null,
    };
    await this.repo.insert(record);
    const id = record.codeHash.slice(0, 8);
    await this.audit.record(actor, 'invite.create', { type: 'invite', id }, reason, {
      days,
      expires: new Date(record.expiresAt).toISOString(),
    });
    return { code, id, expiresAt: record.expiresAt };
  }

  async list(limit = 50, offset = 0): Promise<{ invites: InviteView[]; total: number }> {
    const { invites, total } = await this.repo.list(limit, offset);
    return {
      invites: invites.map((i) => ({
        id: i.codeHash.slice(0, 8),
        createdAt: i.createdAt,
        createdBy: i.createdBy,
        expiresAt: i.expiresAt,
        usedAt: i.usedAt,
        usedBy: i.usedBy,
      })),
      total,
    };
  }

  /** Take the invite for a registration: invite_invalid when unknown, used or expired. */
  async consume(code: string, usedBy: string): Promise<void> {
    const ok = code.trim() !== '' && (await this.repo.consume(hashOf(code), this.now(), usedBy));
    if (!ok) {
      throw new CoreError('invite_invalid', 'This invite code is not valid, used or expired');
    }
  }

  /** Give the invite back (the registration failed after taking it). */
  release(code: string): Promise<void> {
    return this.repo.release(hashOf(code));
  }
}
