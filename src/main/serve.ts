import cluster from 'node:cluster';
import type { Config } from '../config.js';
import { announce, logsInfo } from './announce.js';
import { startIdleGc } from './idle-gc.js';
import { instanceExists, instanceLabel, instanceText } from './instance.js';
import { ListenError } from './listen-error.js';

export { ListenError };

/**
 * V8's young generation per semi-space (MiB) for forked workers. Node's default grows it to 16 MiB
 * (two of them: 32 MiB committed) during startup alone and keeps it: 25-35 MiB of every worker's
 * RSS, idle or not. A small one is also scavenged more often, which frees request bodies' buffers
 * sooner: one 1 GiB PUT peaked at 148 MiB with 2, 150-157 with 4, 161 with 8. 2 looked 10-20%
 * slower on 4 KiB requests, 4 not measurably (bench/README.md, memory).
 */
export const WORKER_SEMI_SPACE_MIB = 4;

/**
 * The Node flags of a forked worker: the primary's, plus a smaller young generation unless the
 * operator chose one (on the command line or in NODE_OPTIONS).
 */
export function workerExecArgv(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  if (given.some((a) => /^--max[-_]semi[-_]space[-_]size\b/.test(a))) return [...execArgv];
  return [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`];
}

/** In the environment of the short-lived process that prepares the store before the workers. */
const PREPARE_ENV = 'STOWAGE_CLUSTER_PREPARE';

/** A worker that cannot listen exits with this code, and the primary stops instead of forking again. */
const EXIT_CANNOT_LISTEN = 78;

/** Why the server cannot listen, in one line an operator can act on (null: not a known reason). */
export function listenFailure(err: unknown, config: Config): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const address = `${host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return `${address} is already in use (another stowage, or another server?); choose another port with --port or STOWAGE_PORT`;
  }
  if (code === 'EACCES') {
    return `not allowed to listen on ${address} (ports below 1024 need privileges); choose another port with --port or STOWAGE_PORT`;
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return `${config.host} is not an address of this machine; choose another with --host or STOWAGE_HOST`;
  }
  return null;
}

/** Say so when this start creates the instance (a new data dir or database): a typo shows at once. */
async function announceNew(config: Config, where: string): Promise<void> {
  if (await instanceExists(config)) return;
  await announce(config, `stowage: creating a new instance (${where})`, {
    event: 'instance_created',
    dataDir: config.dataDir,
  });
}

/**
 * Run the server. With `workers` > 1 the primary has the store prepared once (migrations, staging
 * cleanup) by a short-lived process, then forks that many HTTP workers sharing the port; each
 * worker builds its own app. `file` is the configuration file read, if any (for the log).
 */
export async function serve(config: Config, file: string | null = null): Promise<void> {
  const where = instanceText({ label: instanceLabel(config), file });
  if (cluster.isWorker && process.env[PREPARE_ENV] === '1') {
    await announceNew(config, where);
    const { createRuntime } = await import('../runtime.js');
    const rt = await createRuntime(config, { cleanStaging: true, migrate: true });
    await rt.close();
    process.exit(0);
  }
  if (config.workers > 1 && cluster.isPrimary) {
    // glibc keeps what it freed in per-thread arenas and, once a large buffer was freed, serves
    // later ones (1 MiB copies, S3's 8 MiB parts) from them too instead of fresh mappings: two
    // arenas and a fixed 128 KiB mmap threshold keep 10-60 MiB less per worker after a load
    // (docs/DEPLOYMENT.md, memory). They are read when a process starts: only forked workers
    // can get them from here. So are V8's heap sizes (workerExecArgv).
    cluster.setupPrimary({ execArgv: workerExecArgv() });
    // The store is prepared (migrations, staging cleanup) by a process of its own, which then
    // exits: the primary only supervises and never loads the runtime (~35 MiB it would keep).
    // Its errors are printed by that process, which exits with the CLI's code: so does the primary.
    const prepared = await new Promise<number>((resolve) =>
      cluster
        .fork({ [PREPARE_ENV]: '1' })
        .once('exit', (code: number | null, signal: string | null) =>
          resolve(code ?? (signal ? 1 : 0)),
        ),
    );
    if (prepared !== 0) {
      process.exitCode = prepared;
      return;
    }
    let stopping = false;
    let forks = 0;
    const fork = () =>
      cluster.fork({
        // The first worker says where the server listens (once, not again for a replacement).
        STOWAGE_CLUSTER_WORKER: forks++ === 0 ? 'first' : '1',
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
        MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
      });
    // Metrics: the primary sums its workers' registries; it serves the metrics port itself, and
    // answers the scrapes workers forward from the main port.
    let stopMetrics: (() => Promise<void>) | null = null;
    if (config.metrics) {
      const { ClusterMetricsPrimary } = await import('../metrics/cluster.js');
      const aggregate = new ClusterMetricsPrimary(cluster);
      if (config.metricsPort !== null) {
        const { startMetricsServer } = await import('../http/metrics/route.js');
        const server = await startMetricsServer({
          host: config.host,
          port: config.metricsPort,
          token: config.metricsToken,
          scrape: () => aggregate.collect(),
          onError: (err) => console.error(`stowage: metrics server: ${err.message}`),
        });
        stopMetrics = () => server.close();
      }
    }
    let cannotListen: string | null = null;
    cluster.on('message', (_w, msg: unknown) => {
      const why = (msg as { stowageCannotListen?: unknown } | null)?.stowageCannotListen;
      if (typeof why === 'string' && cannotListen === null) {
        cannotListen = why;
        console.error(`stowage: ${why}`);
      }
    });
    for (let i = 0; i < config.workers; i++) fork();
    cluster.on('exit', (w, code, signal) => {
      if (stopping) return;
      if (code === EXIT_CANNOT_LISTEN) {
        // The worker said why; forking another would fail the same way, forever.
        stopping = true;
        void stopMetrics?.();
        for (const other of Object.values(cluster.workers ?? {})) other?.kill('SIGTERM');
        process.exitCode = 1;
        return;
      }
      console.error(
        `stowage: worker ${w.process.pid} exited (${signal ?? code}), starting another`,
      );
      fork();
    });
    const stop = () => {
      stopping = true;
      void stopMetrics?.();
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  const worker = cluster.isWorker;
  if (!worker) await announceNew(config, where);
  // Loaded here, not at the top: a supervising primary never needs the HTTP stack in memory.
  const { buildApp } = await import('../app.js');
  // A worker (also one replacing a dead one) removes what dead processes left in staging; the
  // preparing process has migrated and swept derived images once for all.
  const app = await buildApp(config, {
    cleanStaging: true,
    migrate: !worker,
    sweepDerived: !worker,
    clusterWorker: worker,
  });
  let url: string;
  try {
    url = await app.listen();
  } catch (err) {
    const why = listenFailure(err, config);
    if (!why) throw err;
    await app.close().catch(() => {});
    if (worker) {
      // The primary prints it once, whichever worker fails first.
      process.send?.({ stowageCannotListen: why }, () => process.exit(EXIT_CANNOT_LISTEN));
      return;
    }
    throw new ListenError(why);
  }
  const stopIdleGc = startIdleGc();
  if (!worker || process.env.STOWAGE_CLUSTER_WORKER === 'first') {
    const line = `stowage listening on ${url} (${where}${config.workers > 1 ? `, ${config.workers} workers` : ''})`;
    // Through the logger, like every other line on stdout (JSON or pretty, as configured). With
    // the logger quieter than info (or silent) it is still printed, as before, for scripts and
    // tests waiting for the address.
    if (logsInfo(config)) {
      app.server.log.info(
        { event: 'listening', url, dataDir: config.dataDir, workers: config.workers },
        line,
      );
    } else {
      console.log(line);
    }
  }
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    stopIdleGc();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
