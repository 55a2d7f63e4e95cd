import net from 'node:net';
import type { Principal } from '../accounts.js';
import { CoreError, isUnavailable } from '../errors.js';
import type { UploadGate } from '../files.js';
import type { UserRecord } from '../records.js';
import type { SharedState } from '../shared-state.js';
import {
  admitUpload,
  effectiveLimit,
  UNLIMITED,
  type AccountLimits,
  type AccountUsage,
} from './quota-math.js';
import type { LimitsRepository } from './records.js';

const DAY_MS = 24 * 3600 * 1000;

/** The instance's defaults (0 = unlimited), from the configuration. */
export interface QuotaDefaults {
  storage: number;
  daily: number;
  files: number;
  /** Anonymous uploads per client address per day. */
  anonUploads: number;
  /** Anonymous upload bytes per client address per day. */
  anonBytes: number;
}

export interface QuotaOptions {
  defaults: QuotaDefaults;
  now?: () => number;
}

/**
 * Upload quotas, checked on every upload of every dialect (FileService calls this gate): before
 * the body when its size is declared, and again once the bytes are staged.
 *
 * - Accounts: bytes stored (the sum of their files' sizes, as pixeldrain's storage_space_used),
 *   bytes uploaded in the last 24 hours (a rolling window over the files' creation times, read
 *   with the (owner_id, created_at) index: a deleted file no longer counts), and files kept. The
 *   file nodes of the account's filesystem tree count as its files do (their size; their content's
 *   last write, `updated_at`, for the 24 hours). Each limit is the account's override (users.*;
 *   -1 = unlimited) or the instance default. Admins have none.
 * - Uploads without an account: a count and a byte budget per client address and day, in the
 *   shared state (so every node sees the same counters); a day is a fixed window that starts with
 *   the address's first upload.
 *
 * Uploads that race each other may pass a limit by the size of one upload: the check and the
 * insert are not one transaction (a quota is a fair-use bound, not an accounting invariant).
 */
export class QuotaService implements UploadGate {
  private readonly now: () => number;

  constructor(
    private readonly repo: LimitsRepository,
    private readonly users: { findUserById(id: string): Promise<UserRecord | null> },
    private readonly state: SharedState,
    private readonly opts: QuotaOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The limits that apply to an account (-1 = unlimited). */
  limitsOf(
    user: Pick<UserRecord, 'storageQuota' | 'dailyUploadQuota' | 'maxFiles' | 'isAdmin'>,
  ): AccountLimits {
    if (user.isAdmin) return { storage: UNLIMITED, daily: UNLIMITED, files: UNLIMITED };
    const d = this.opts.defaults;
    return {
      storage: effectiveLimit(user.storageQuota, d.storage),
      daily: effectiveLimit(user.dailyUploadQuota, d.daily),
      files: effectiveLimit(user.maxFiles, d.files),
    };
  }

  async usageOf(userId: string): Promise<AccountUsage> {
    const [usage, lastDay] = await Promise.all([
      this.repo.usageOf(userId),
      // Files of the last 24 hours: created less than a day ago.
      this.repo.uploadedSince(userId, this.now() - DAY_MS + 1),
    ]);
    return { bytes: usage.bytes, count: usage.count, lastDay };
  }

  async beforeBody(
    owner: Principal | null,
    ip: string | null,
    declared: number | null,
  ): Promise<void> {
    if (owner) return this.checkAccount(owner, declared ?? 0);
    if (ip) await this.checkAddress(ip, declared ?? 0, false);
  }

  async admit(owner: Principal | null, ip: string | null, bytes: number): Promise<void> {
    if (owner) return this.checkAccount(owner, bytes);
    if (ip) await this.checkAddress(ip, bytes, true);
  }

  private async checkAccount(owner: Principal, bytes: number): Promise<void> {
    if (owner.isAdmin) return;
    const user = await this.users.findUserById(owner.userId);
    if (!user) return;
    const limits = this.limitsOf(user);
    if (limits.storage === UNLIMITED && limits.daily === UNLIMITED && limits.files === UNLIMITED) {
      return;
    }
    const verdict = admitUpload(limits, await this.usageOf(user.id), bytes);
    if (verdict.ok) return;
    const extra = { limit: verdict.limit, max: verdict.max, used: verdict.used };
    if (verdict.limit === 'files') {
      throw new CoreError('file_limit_reached', `You can keep at most ${verdict.max} files`, extra);
    }
    throw new CoreError(
      'user_out_of_space',
      verdict.limit === 'storage'
        ? 'You have used all of your storage space'
        : 'You have reached your upload limit for the last 24 hours',
      extra,
    );
  }

  /**
   * The address's counters; `count`: add this upload to them when it fits. Without the shared
   * state (Redis down) uploads are not refused: the limit is a fair-use bound, and uploads need
   * nothing else of Redis; they go through uncounted until it is back (readiness reports Redis
   * down meanwhile).
   */
  private async checkAddress(address: string, bytes: number, count: boolean): Promise<void> {
    const { anonUploads, anonBytes } = this.opts.defaults;
    if (anonUploads <= 0 && anonBytes <= 0) return;
    try {
      await this.countAddress(clientKey(address), bytes, count);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
    }
  }

  private async countAddress(ip: string, bytes: number, count: boolean): Promise<void> {
    const { anonUploads, anonBytes } = this.opts.defaults;
    const files = await this.state.increment(`anon-up:n:${ip}`, DAY_MS, 0);
    const sent = await this.state.increment(`anon-up:b:${ip}`, DAY_MS, 0);
    if (anonUploads > 0 && files.count + 1 > anonUploads) {
      throw limitReached(anonUploads, 'files', files.resetMs);
    }
    if (anonBytes > 0 && sent.count + bytes > anonBytes) {
      throw limitReached(anonBytes, 'bytes', sent.resetMs);
    }
    if (count) {
      await this.state.increment(`anon-up:n:${ip}`, DAY_MS, 1);
      if (bytes > 0) await this.state.increment(`anon-up:b:${ip}`, DAY_MS, bytes);
    }
  }
}

/**
 * Whose budget an address uses: an IPv4 address itself; an IPv6 address's /64 (one subscriber's
 * network: a client can pick any address in it).
 */
export function clientKey(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1]!;
  if (!net.isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function limitReached(max: number, kind: 'files' | 'bytes', resetMs: number): CoreError {
  return new CoreError(
    'anonymous_upload_limit',
    kind === 'files'
      ? `Your address may upload ${max} files a day without an account`
      : `Your address may upload ${max} bytes a day without an account`,
    { max, kind, retryAfterMs: Math.max(1000, resetMs) },
  );
}
