/** The core wired to its embedded adapters; no HTTP here (the CLI and the cluster primary use it alone). */
import { ConfigError, type Config } from './config.js';
import { AccountService } from './core/accounts.js';
import { UserSettingsService } from './core/user-settings.js';
import { ACCOUNT_LIMIT_FACTOR, PasswordLimiter } from './core/passwords.js';
import { FileService } from './core/files.js';
import { ListService } from './core/lists.js';
import { MediaService } from './core/media/service.js';
import type { MediaToolkit } from './core/media-ports.js';
import { defaultMediaToolkit } from './media/index.js';
import type { Core } from './core/index.js';
import { sql } from 'kysely';
import { migrate, openDatabase, type Db } from './storage/db.js';
import { Readiness, type Dependency, type Probe } from './core/readiness.js';
import { createFilesystem } from './filesystem-wiring.js';
import { createResumable, TUS_SWEEP_MS, type TusBackend } from './tus-wiring.js';
import { CHANGE_LOG_PRUNE_MS } from './core/filesystem/prune.js';
import { KyselyFileRepository } from './storage/file-repository.js';
import { KyselyListRepository } from './storage/list-repository.js';
import { KyselyMediaRepository } from './storage/media-repository.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { IntegrityService } from './core/integrity.js';
import { KyselyIntegrityRepository } from './storage/integrity-repository.js';
import type { SharedState } from './core/shared-state.js';
import { MemoryState } from './state/memory-state.js';
import { KyselyUserRepository } from './storage/user-repository.js';
import type { BlobStore } from './core/blob-store.js';
import { ExpirySweeper } from './core/expiry.js';
import { UploadService } from './core/uploads.js';
import { SafeFetcher } from './net/safe-fetch.js';
import { UrlUploads } from './core/url-uploads/index.js';
import { KyselyAttributeRepository } from './storage/attribute-repository.js';
import { KyselyLockRepository } from './storage/lock-repository.js';
import {
  AltchaCaptcha,
  RulesService,
  SeriesRollup,
  SeriesService,
  TrafficService,
} from './core/traffic/index.js';
import { KyselySettingsRepository } from './storage/settings-repository.js';
import { randomBytes } from 'node:crypto';
import { KyselyTrafficRepository } from './storage/traffic-repository.js';
import { KyselySeriesRepository } from './storage/series-repository.js';
import { LiveStats } from './core/traffic/live-stats.js';
import { noTelemetry, type Telemetry } from './core/telemetry.js';
import { ReportingBlobStore } from './metrics/blob-store.js';
import { createScanning } from './scan/index.js';
import type { VirusScanner } from './core/scanning/index.js';
import { AuditLog } from './core/moderation/audit.js';
import { KyselyAuditRepository } from './storage/audit-repository.js';
import {
  AccountLimits,
  InactivityExpiry,
  InviteService,
  QuotaService,
  type Limits,
} from './core/limits/index.js';
import { KyselyInviteRepository, KyselyLimitsRepository } from './storage/limits-repository.js';
import { createModeration } from './moderation-wiring.js';

export interface Runtime {
  config: Config;
  core: Core;
  /** Administration only (CLI): consistency checks and storage migration. */
  integrity: IntegrityService;
  db: Db;
  blobs: BlobStore;
  /** What the tus server writes resumable uploads through (null: not available). */
  tus: TusBackend | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * Remove partial uploads whose process is gone (a crash, a killed worker). Serving processes and
   * workers do this at start, never the CLI (its `gc --fix` does).
   */
  cleanStaging: boolean;
  /** Remove derived images a crash left without their content (default: as cleanStaging). */
  sweepDerived?: boolean;
  /** Run migrations (serve and `stowage migrate` do; other CLI commands expect a migrated store). */
  migrate: boolean;
  /** Replace the blob store (tests use the in-memory double). */
  blobStore?: BlobStore;
  /** Replace the media tools (tests: programs missing); loaded on first need. */
  mediaTools?: () => Promise<MediaToolkit>;
  /** Delete expired files on an interval (serving processes; one node at a time). */
  sweepExpired?: boolean;
  /** The core's clock (tests: expiry at its boundary without sleeping). */
  now?: () => number;
  /** Where monitoring events go (the metrics adapter when STOWAGE_METRICS is on). */
  telemetry?: Telemetry;
  /**
   * With STOWAGE_CLAMAV: scan stored files' blobs and run the catch-up sweep (default: as
   * sweepExpired, i.e. serving processes; the CLI scans only when asked, `stowage scan`).
   */
  scanUploads?: boolean;
  /** Replace the virus scanner (tests). */
  virusScanner?: VirusScanner;
}

/** Wire the core to the embedded adapters (SQLite + local disk). */
export async function createRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const db = openDatabase(config);
  try {
    if (opts.migrate) await migrate(db, config.databaseSchema);
    const opened = opts.blobStore ?? (await openBlobStore(config));
    // With telemetry (metrics on), failed store operations are reported (blob_store_error).
    const blobs = opts.telemetry ? new ReportingBlobStore(opened, opts.telemetry) : opened;
    await blobs.open({ cleanStaging: opts.cleanStaging });
    const state = await openSharedState(config, opts.now);
    // Moderation's upload hook (blocked hashes) needs the block service, made after the files.
    let screen: (sha256: string) => Promise<void> = async () => {};
    const fileRepo = new KyselyFileRepository(db);
    const files = new FileService(fileRepo, blobs, {
      maxFileSize: config.maxFileSize,
      allowAnonymousUploads: config.allowAnonymousUploads,
      redirectDownloads: config.s3Redirect,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.telemetry ? { telemetry: opts.telemetry } : {}),
      screen: (sha256) => screen(sha256),
    });
    const trafficRepo = new KyselyTrafficRepository(db);
    const traffic = new TrafficService(trafficRepo, state, {
      ...(opts.now ? { now: opts.now } : {}),
      onFlushed: (ids) => ids.forEach((id) => files.forget(id)),
    });
    const telemetry = opts.telemetry ?? noTelemetry;
    const liveStats = new LiveStats(trafficRepo, {
      pollMs: config.statsPollMs,
      pending: (id) => traffic.pending(id),
      telemetry,
    });
    const users = new KyselyUserRepository(db);
    const audit = new AuditLog(new KyselyAuditRepository(db), opts.now ? { now: opts.now } : {});
    const limits = await createLimits(config, db, files, users, state, audit, opts.now);
    const accounts = new AccountService(users, {
      registration: config.registration,
      invites: limits.invites,
      // One limit for every password check, on every API (and, apart, registrations).
      passwordLimiter: new PasswordLimiter(state, {
        perClient: config.authRateLimit,
        perAccount: config.authRateLimit * ACCOUNT_LIMIT_FACTOR,
        windowMs: 60_000,
      }),
    });
    // The change log is pruned where expired files are swept: serving processes, one node at a time.
    const { filesystem, fsChangePrune } = createFilesystem({
      db,
      files,
      accounts,
      intervalMs: opts.sweepExpired ? CHANGE_LOG_PRUNE_MS : 0,
      ...(opts.now ? { now: opts.now } : {}),
    });
    // Swept where expired files are: serving processes, one node at a time.
    const { resumable, tusSweep, tus } = await createResumable({
      config,
      db,
      files,
      blobs,
      customBlobStore: opts.blobStore !== undefined,
      intervalMs: opts.sweepExpired ? TUS_SWEEP_MS : 0,
      ...(opts.now ? { now: opts.now } : {}),
    });
    accounts.onDeleteUser(async (userId) => {
      await resumable?.removeAllOf(userId);
      await filesystem.deleteTreeOf(userId);
      await files.deleteAllOwnedBy(userId);
    });
    const lists = new ListService(new KyselyListRepository(db), {
      allowAnonymous: config.allowAnonymousUploads,
    });
    const media = new MediaService(
      files,
      blobs,
      new KyselyMediaRepository(db),
      opts.mediaTools ?? defaultMediaToolkit,
      {
        concurrency: config.mediaConcurrency,
        maxPixels: config.mediaMaxPixels,
        timeoutMs: config.mediaTimeoutMs,
        thumbSize: config.cheveretoThumbSize,
        mediumWidth: config.cheveretoMediumWidth,
      },
    );
    // The serving process removes derived images a crash left without their content.
    if (opts.sweepDerived ?? opts.cleanStaging) media.sweep();
    const uploads = new UploadService(files, media, lists, new KyselyAttributeRepository(db));
    const urlUploads = new UrlUploads(new SafeFetcher({ allow: config.urlUploadsAllow }), {
      enabled: config.urlUploads,
      maxBytes: config.maxFileSize,
      timeoutMs: config.urlUploadsTimeoutMs,
    });
    const expiry = new ExpirySweeper(files, new KyselyLockRepository(db), {
      intervalMs: opts.sweepExpired ? config.expirySweepMs : 0,
      also: [(batch) => limits.inactivity.sweep(batch)],
      ...(opts.now ? { now: opts.now } : {}),
    });
    expiry.start();
    const seriesRepo = new KyselySeriesRepository(db);
    const series = new SeriesService(seriesRepo, files, () => traffic.flush());
    // Rolled up where expired files are swept: serving processes, one node at a time.
    const seriesRollup = new SeriesRollup(seriesRepo, new KyselyLockRepository(db), {
      minuteDays: config.seriesMinuteDays,
      hourDays: config.seriesHourDays,
      intervalMs: opts.sweepExpired ? config.seriesRollupMs : 0,
      ...(opts.now ? { now: opts.now } : {}),
    });
    seriesRollup.start();
    const scanning = createScanning(config, {
      db,
      blobs,
      fileRepo,
      files,
      locks: new KyselyLockRepository(db),
      serve: opts.scanUploads ?? opts.sweepExpired ?? false,
      telemetry,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.virusScanner ? { scanner: opts.virusScanner } : {}),
    });
    const probes: Partial<Record<Dependency, Probe>> = {
      database: () => sql`select 1`.execute(db),
      ...(blobs.ping ? { blob_store: () => blobs.ping!() } : {}),
      ...(state.ping ? { redis: () => state.ping!() } : {}),
      ...(scanning ? { clamav: () => scanning.scanner.ping() } : {}),
    };
    // clamd down is reported, not "not ready": uploads work, and their scans wait for it.
    const readiness = new Readiness(probes, 2000, ['clamav']);
    const rules = createRules(config, db, state, traffic, users, telemetry, opts.now);
    const moderation = createModeration({
      config,
      db,
      files,
      accounts,
      state,
      audit,
      rules,
      intervalMs: opts.sweepExpired ? config.expirySweepMs : 0,
      ...(opts.now ? { now: opts.now } : {}),
    });
    screen = (sha256) => moderation.blocks.screen(sha256);
    return {
      config,
      core: {
        files,
        traffic,
        accounts,
        userSettings: new UserSettingsService(users),
        lists,
        media,
        state,
        uploads,
        urlUploads,
        expiry,
        readiness,
        telemetry,
        series,
        seriesRollup,
        liveStats,
        rules,
        scanning: scanning?.service ?? null,
        scanSweep: scanning?.sweep ?? null,
        audit,
        limits,
        filesystem,
        fsChangePrune,
        resumable,
        tusSweep,
        ...moderation,
      },
      integrity: new IntegrityService(
        new KyselyIntegrityRepository(db),
        blobs,
        (id) => files.deleteAsAdmin(id),
        (ownerId, path) => filesystem.removeNode(ownerId, path),
      ),
      db,
      blobs,
      tus,
      close: async () => {
        await tusSweep?.stop();
        await tus?.close?.();
        await scanning?.close();
        await expiry.stop();
        await seriesRollup.stop();
        await moderation.reporterIps.stop();
        await fsChangePrune.stop();
        await filesystem.close();
        await media.close();
        files.close();
        await liveStats.close();
        await traffic.close();
        await limits.inactivity.close();
        await rules.close();
        await blobs.close();
        await state.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** Quotas (the gate of every upload), invites and inactivity expiry. */
async function createLimits(
  config: Config,
  db: Db,
  files: FileService,
  users: KyselyUserRepository,
  state: SharedState,
  audit: AuditLog,
  now?: () => number,
): Promise<Limits> {
  const repo = new KyselyLimitsRepository(db);
  const clock = now ? { now } : {};
  const quota = new QuotaService(repo, users, state, {
    defaults: {
      storage: config.userStorageQuota,
      daily: config.userDailyUpload,
      files: config.userMaxFiles,
      anonUploads: config.anonDailyUploads,
      anonBytes: config.anonDailyUploadBytes,
    },
    ...clock,
  });
  files.setUploadGate(quota);
  const inactivity = new InactivityExpiry(repo, {
    days: config.fileExpiryDays,
    remove: (f) => files.remove(f),
    onFlushed: (ids) => ids.forEach((id) => files.forget(id)),
    ...clock,
  });
  // Read now so the first answers know them; failing (`stowage migrate` on a new store has no
  // tables yet) leaves it to the next read, a minute later at most.
  await inactivity.loadExempt().catch(() => {});
  return {
    quota,
    inactivity,
    invites: new InviteService(new KyselyInviteRepository(db), audit, clock),
    accounts: new AccountLimits(users, audit, inactivity),
  };
}

/**
 * Shared state: Redis when configured (several nodes), else in-process. Instances sharing one Redis
 * but not one database schema get their own key space.
 */
export async function openSharedState(config: Config, now?: () => number): Promise<SharedState> {
  if (!config.redisUrl) return new MemoryState(now);
  // Loaded only when configured: the client costs ~8 MiB per process.
  const { RedisState } = await import('./state/redis-state.js');
  return new RedisState(config.redisUrl, `stowage:${config.databaseSchema ?? 'public'}:`);
}

/**
 * The download rules (hotlink rule, ALTCHA captcha, per-IP limits). The captcha's HMAC key is
 * STOWAGE_CAPTCHA_HMAC_KEY, else one generated by the first node and kept in the database.
 */
function createRules(
  config: Config,
  db: Db,
  state: SharedState,
  traffic: TrafficService,
  users: KyselyUserRepository,
  telemetry: Telemetry,
  now?: () => number,
): RulesService {
  const settings = new KyselySettingsRepository(db);
  const hmacKey = () =>
    config.captchaHmacKey
      ? Promise.resolve(config.captchaHmacKey)
      : settings.getOrInsert('captcha_hmac_key', randomBytes(32).toString('hex'));
  const captcha = config.captcha
    ? new AltchaCaptcha(hmacKey, state, { difficulty: config.captchaDifficulty })
    : null;
  return new RulesService(
    traffic,
    state,
    captcha,
    async (id) => {
      const u = await users.findUserById(id);
      return u
        ? {
            hotlinkingEnabled: u.hotlinkingEnabled ?? false,
            hotlinkExempt: u.hotlinkExempt ?? false,
            admin: u.isAdmin,
          }
        : null;
    },
    telemetry,
    {
      hotlink: { factor: config.hotlinkFactor, minDownloads: config.hotlinkMinDownloads },
      captcha: config.captcha,
      ipDownloadLimit: config.ipDownloadLimit,
      ipTransferLimit: config.ipTransferLimit,
      ipLimitAction: config.ipLimitAction,
      ipSpeedLimit: config.ipSpeedLimit,
      virusAction: config.clamavAction,
      ...(now ? { now } : {}),
    },
  );
}

/** The blob store the configuration asks for: the data dir, or an S3-compatible bucket. */
export async function openBlobStore(
  config: Config,
  kind: Config['storage'] = config.storage,
): Promise<BlobStore> {
  if (kind === 's3') {
    if (!config.s3Bucket) throw new ConfigError('STOWAGE_S3_BUCKET', 'required for S3 storage');
    // Loaded only when configured: the AWS SDK costs ~25 MiB per process.
    const { S3BlobStore } = await import('./storage/s3-blob-store.js');
    return new S3BlobStore({
      bucket: config.s3Bucket!,
      region: config.s3Region,
      endpoint: config.s3Endpoint,
      forcePathStyle: config.s3ForcePathStyle,
      prefix: config.s3Prefix,
      checksums: config.s3Checksums,
    });
  }
  return new LocalBlobStore(config.dataDir);
}
