import type { Challenge } from 'altcha-lib';
import type { FileRecord } from '../records.js';
import type { SharedState } from '../shared-state.js';
import type { Telemetry } from '../telemetry.js';
import type { AltchaCaptcha } from './captcha.js';
import { isHotlinked } from './hotlink-rule.js';
import type { Admission, Availability, Downloader, RateLimits, RulesOptions } from './admission.js';
import { DAY_MS, IpUsage } from './ip-usage.js';
import type { AccountFlags } from './records.js';
import type { TrafficService } from './traffic.js';

/**
 * The download rules: the hotlink rule, the captcha that lifts it, per-IP limits. Decisions are
 * made on what this process already knows (stored counters plus pending ones, per-IP sums pushed
 * once a second); queries happen only for files the rule has tripped on (account flags, cached)
 * and for captcha grants (shared, remembered here once seen).
 */
export class RulesService {
  private readonly now: () => number;
  private readonly usage: IpUsage;
  private readonly flags = new Map<string, { at: number; flags: Promise<AccountFlags | null> }>();
  /** Grants known here: key -> until (epoch ms). */
  private readonly grants = new Map<string, number>();

  constructor(
    private readonly traffic: TrafficService,
    private readonly state: SharedState,
    private readonly captcha: AltchaCaptcha | null,
    private readonly accountFlags: (userId: string) => Promise<AccountFlags | null>,
    private readonly telemetry: Telemetry,
    private readonly opts: RulesOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.usage = new IpUsage(state, { now: this.now, flushMs: opts.flushMs ?? 1000 });
  }

  /** The site key the viewer passes to its widget: 'altcha', or '' when the captcha is off. */
  siteKey(): string {
    return this.captchaOn ? 'altcha' : '';
  }

  private get captchaOn(): boolean {
    return this.opts.captcha && this.captcha !== null;
  }

  /** A new captcha challenge (null when the captcha is off). */
  async challenge(): Promise<Challenge | null> {
    if (!this.captcha || !this.opts.captcha) return null;
    const c = await this.captcha.challenge();
    this.telemetry.event('captcha_challenge');
    return c;
  }

  /** Whether the file trips the hotlink rule now (stored counters plus those not written yet). */
  hotlinked(file: Pick<FileRecord, 'id' | 'views' | 'downloads'>): boolean {
    const p = this.traffic.pending(file.id);
    return isHotlinked(
      { views: file.views + (p?.views ?? 0), downloads: file.downloads + (p?.downloads ?? 0) },
      this.opts.hotlink,
    );
  }

  /**
   * What `who` would get for this file now (FileInfo `availability`, the viewer's dialog). No side
   * effects: nothing is counted, no captcha is used.
   */
  async availability(file: FileRecord, who: Downloader): Promise<Availability> {
    const d = await this.decide(file, who, null, false);
    return d.refused === 'captcha_failed' ? '' : d.refused;
  }

  /**
   * A download of `file` by `who` begins (`starts`: a new download rather than a further range
   * of one). `captcha` is the payload sent with it, if any: verified, used up, and turned into a
   * grant for this client and file (and a further per-IP allowance).
   */
  async admit(
    file: FileRecord,
    who: Downloader,
    opts: { captcha?: string | null; starts: boolean },
  ): Promise<Admission> {
    return this.admitted(await this.decide(file, who, opts.captcha ?? null, true), who, opts);
  }

  /**
   * `admit` without waiting, when the decision is the common one (`quickDecision`): the same
   * admission, counted as `admit` counts it. Null: the rules need more (call `admit`). With the
   * record and the bytes at hand too, a small GET answers without a wait (+2 to +7% of a 4 KiB
   * GET's throughput, bench/README.md).
   */
  admitNow(
    file: FileRecord,
    who: Downloader,
    opts: { captcha?: string | null; starts: boolean },
  ): Admission | null {
    const d = this.quickDecision(file, who.client, opts.captcha ?? null);
    return d && this.admitted(d, who, opts);
  }

  /** What admitting a decision counts: the client's download, the refusals' events. */
  private admitted(d: Admission, who: Downloader, opts: { starts: boolean }): Admission {
    if (d.refused === '' && opts.starts && !d.exempt && this.opts.ipDownloadLimit > 0)
      this.usage.add(who.client, { downloads: 1 });
    if (d.refused === 'file_rate_limited_captcha_required' || d.refused === 'hotlink_detected')
      this.telemetry.event('hotlink_refused');
    else if (d.refused.startsWith('ip_') || d.refused.endsWith('_limit_exceeded'))
      this.telemetry.event('ip_limit_refused', {
        limit: d.refused.includes('download') ? 'downloads' : 'transfer',
      });
    else if (d.speedLimit > 0) this.telemetry.event('ip_limit_refused', { limit: 'speed' });
    else if (
      d.refused === 'virus_detected_captcha_required' ||
      d.refused === 'unavailable_for_legal_reasons'
    )
      this.telemetry.event('malware_refused', { value: d.refused });
    return d;
  }

  /**
   * A zip of several files begins: the payload (if any) is used once for all of them, then each
   * file is admitted; the first refusal answers for the archive.
   */
  async admitMany(
    files: readonly FileRecord[],
    who: Downloader,
    opts: { captcha?: string | null },
  ): Promise<{ refused: Admission['refused']; admissions: Map<string, Admission> }> {
    const admissions = new Map<string, Admission>();
    if (opts.captcha && this.captchaOn) {
      const verdict = await this.captcha!.verify(opts.captcha);
      if (verdict.ok) {
        this.telemetry.event('captcha_solved');
        for (const f of files) await this.grant(`file:${f.id}`, who.client);
        this.usage.add(who.client, { solved: 1 });
        await this.usage.flush();
      } else if (verdict.reason !== 'replayed') {
        this.telemetry.event('captcha_failed', { reason: verdict.reason });
        return { refused: 'captcha_failed', admissions };
      }
    }
    for (const f of files) {
      if (admissions.has(f.id)) continue;
      const a = await this.admit(f, who, { starts: true });
      if (a.refused) return { refused: a.refused, admissions };
      admissions.set(f.id, a);
    }
    return { refused: '', admissions };
  }

  /** Bytes sent to a client (per-IP transfer limit; exempt downloaders are not counted). */
  transferred(client: string, bytes: number, exempt = false): void {
    if (bytes > 0 && !exempt && this.opts.ipTransferLimit > 0) this.usage.add(client, { bytes });
  }

  /** The caller's limits and what they used today (0 = no limit). */
  rateLimits(client: string): RateLimits {
    const u = this.usage.usage(client);
    const allowances = 1 + u.solved;
    const slowed = this.opts.ipLimitAction === 'slow' && this.overIpLimit(client) !== null;
    return {
      server_overload: false,
      speed_limit: slowed ? this.opts.ipSpeedLimit : 0,
      download_limit: this.opts.ipDownloadLimit * allowances,
      download_limit_used: u.downloads,
      transfer_limit: this.opts.ipTransferLimit * allowances,
      transfer_limit_used: u.bytes,
    };
  }

  /** An account's flags changed here: drop them from the cache (other nodes: within 10 s). */
  forgetAccount(userId: string): void {
    this.flags.delete(userId);
  }

  /** Write the per-IP sums now (tests, shutdown). */
  flush(): Promise<void> {
    return this.usage.flush();
  }

  close(): Promise<void> {
    return this.usage.close();
  }

  private async decide(
    file: FileRecord,
    who: Downloader,
    payload: string | null,
    use: boolean,
  ): Promise<Admission> {
    const quick = this.quickDecision(file, who.client, payload);
    if (quick) return quick;
    if (file.abuseType) return this.decideBlocked(who);
    const ok: Admission = { refused: '', exempt: false, speedLimit: 0 };
    if (file.scanStatus === 'infected') {
      const refused = await this.malwareRule(file, who, payload, use);
      if (refused) return { ...ok, refused };
    }
    const hotlinked = this.hotlinked(file);
    const ipOver = this.overIpLimit(who.client);
    // An infected file the malware rule let through: the other rules as for any file.
    if (!hotlinked && ipOver === null && !file.ownerId && !payload) return ok;
    const exempt = await this.exempt(file, who);
    if (exempt) return { ...ok, exempt: true };
    let solved = false;
    if (payload && use && this.captchaOn) {
      const verdict = await this.useCaptcha(payload, who.client, file.id);
      if (verdict === 'failed') return { ...ok, refused: 'captcha_failed' };
      solved = verdict === 'solved';
    }
    if (hotlinked && !solved && !(await this.granted(`file:${file.id}`, who.client)))
      return {
        ...ok,
        refused: this.captchaOn ? 'file_rate_limited_captcha_required' : 'hotlink_detected',
      };
    // A captcha solved just now (or earlier today) has widened the allowance.
    const over = solved ? this.overIpLimit(who.client) : ipOver;
    if (over === null) return ok;
    if (this.opts.ipLimitAction === 'slow') return { ...ok, speedLimit: this.opts.ipSpeedLimit };
    if (!this.captchaOn)
      return {
        ...ok,
        refused: over === 'downloads' ? 'download_limit_exceeded' : 'transfer_limit_exceeded',
      };
    return {
      ...ok,
      refused:
        over === 'downloads'
          ? 'ip_download_limited_captcha_required'
          : 'ip_transfer_limited_captcha_required',
    };
  }

  /** A file blocked by an admin: served to admins only; no captcha lifts it. */
  private async decideBlocked(who: Downloader): Promise<Admission> {
    const userId = typeof who.userId === 'function' ? await who.userId() : who.userId;
    const admin = userId ? ((await this.flagsOf(userId))?.admin ?? false) : false;
    return {
      refused: admin ? '' : 'unavailable_for_legal_reasons',
      exempt: admin,
      speedLimit: 0,
    };
  }

  /**
   * A file the virus scanner flagged (apart from the other rules: no account flag lifts it). The
   * owner always passes; `block`: admins too, nobody else; `captcha`: a captcha solved for this
   * file and client lets a person through (without the captcha on, nobody else passes).
   */
  private async malwareRule(
    file: FileRecord,
    who: Downloader,
    payload: string | null,
    use: boolean,
  ): Promise<Availability | 'captcha_failed' | null> {
    const userId = typeof who.userId === 'function' ? await who.userId() : who.userId;
    if (userId && userId === file.ownerId) return null;
    if (this.opts.virusAction === 'block' || !this.captchaOn) {
      if (userId && (await this.flagsOf(userId))?.admin) return null;
      return 'unavailable_for_legal_reasons';
    }
    if (payload && use) {
      // Used here; the rules below see the grant (a replayed payload of a granted client).
      const verdict = await this.useCaptcha(payload, who.client, file.id);
      return verdict === 'failed' ? 'captcha_failed' : null;
    }
    if (await this.granted(`file:${file.id}`, who.client)) return null;
    return 'virus_detected_captcha_required';
  }

  /**
   * The common case, decided from memory: a file neither blocked, infected, owned (its owner's
   * flags may exempt) nor hotlinked, a client within its limits, no captcha payload. No rule
   * applies and nothing needs to be exempt: served. Null: `decide` must look further.
   */
  private quickDecision(
    file: FileRecord,
    client: string,
    payload: string | null,
  ): Admission | null {
    if (file.abuseType || file.scanStatus === 'infected' || file.ownerId || payload) return null;
    if (this.hotlinked(file) || this.overIpLimit(client) !== null) return null;
    return { refused: '', exempt: false, speedLimit: 0 };
  }

  private overIpLimit(client: string): 'downloads' | 'transfer' | null {
    const { ipDownloadLimit: dl, ipTransferLimit: tl } = this.opts;
    if (dl <= 0 && tl <= 0) return null;
    const u = this.usage.usage(client);
    const allowances = 1 + u.solved;
    if (dl > 0 && u.downloads >= dl * allowances) return 'downloads';
    if (tl > 0 && u.bytes >= tl * allowances) return 'transfer';
    return null;
  }

  /**
   * The owner, an account the operator exempted, or anyone downloading the files of an uploader
   * who enabled hotlinking: the rules do not apply and the bytes are paid bandwidth.
   */
  private async exempt(file: FileRecord, who: Downloader): Promise<boolean> {
    if (file.ownerId) {
      const owner = await this.flagsOf(file.ownerId);
      if (owner?.hotlinkingEnabled) return true;
    }
    const userId = typeof who.userId === 'function' ? await who.userId() : who.userId;
    if (!userId) return false;
    if (userId === file.ownerId) return true;
    return (await this.flagsOf(userId))?.hotlinkExempt ?? false;
  }

  private flagsOf(userId: string): Promise<AccountFlags | null> {
    const at = this.now();
    const hit = this.flags.get(userId);
    if (hit && at - hit.at < (this.opts.accountCacheMs ?? 10_000)) return hit.flags;
    if (this.flags.size > 10_000) this.flags.clear();
    const flags = this.accountFlags(userId).catch(() => null);
    this.flags.set(userId, { at, flags });
    return flags;
  }

  /**
   * Verify and use up a payload. A payload already used is still fine for the client it was
   * granted to (the browser repeats the URL for its range requests); anyone else: refused.
   */
  private async useCaptcha(
    payload: string,
    client: string,
    fileId: string,
  ): Promise<'solved' | 'granted' | 'failed'> {
    const verdict = await this.captcha!.verify(payload);
    if (verdict.ok) {
      this.telemetry.event('captcha_solved');
      await this.grant(`file:${fileId}`, client);
      this.usage.add(client, { solved: 1 });
      // Pushed at once: the allowance is wanted on every node straight away.
      await this.usage.flush();
      return 'solved';
    }
    if (verdict.reason === 'replayed' && (await this.granted(`file:${fileId}`, client)))
      return 'granted';
    this.telemetry.event('captcha_failed', { reason: verdict.reason });
    return 'failed';
  }

  private async grant(what: string, client: string): Promise<void> {
    const key = `captcha:grant:${what}:${client}`;
    const ms = this.opts.grantMs ?? 3600_000;
    this.grants.set(key, this.now() + ms);
    await this.state.claim(key, ms).catch(() => false);
  }

  private async granted(what: string, client: string): Promise<boolean> {
    const key = `captcha:grant:${what}:${client}`;
    const until = this.grants.get(key);
    if (until !== undefined) {
      if (until > this.now()) return true;
      this.grants.delete(key);
    }
    try {
      if (!(await this.state.exists(key))) return false;
    } catch {
      return false;
    }
    if (this.grants.size > 100_000) this.grants.clear();
    // Granted on another node: remember it here for a while (its TTL is not known here).
    this.grants.set(key, this.now() + 60_000);
    return true;
  }
}

export { DAY_MS };
