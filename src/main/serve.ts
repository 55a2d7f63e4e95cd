import cluster from 'node:cluster';
import { createRuntime } from '../runtime.js';
import type { Config } from '../config.js';

/**
 * Run the server. With `workers` > 1 the primary prepares the store once (migrations, staging
 * cleanup) and forks that many HTTP workers sharing the port; each worker builds its own app.
 */
export async function serve(config: Config): Promise<void> {
  if (config.workers > 1 && cluster.isPrimary) {
    const rt = await createRuntime(config, { cleanStaging: true, migrate: true });
    await rt.close();
    let stopping = false;
    const fork = () => cluster.fork({ STOWAGE_CLUSTER_WORKER: '1' });
    for (let i = 0; i < config.workers; i++) fork();
    cluster.on('exit', (w, code, signal) => {
      if (stopping) return;
      console.error(
        `stowage: worker ${w.process.pid} exited (${signal ?? code}), starting another`,
      );
      fork();
    });
    const stop = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  const worker = cluster.isWorker;
  // Loaded here, not at the top: a supervising primary never needs the HTTP stack in memory.
  const { buildApp } = await import('../app.js');
  // A worker (also one replacing a dead one) removes what dead processes left in staging; the
  // primary has migrated and swept derived images once for all.
  const app = await buildApp(config, {
    cleanStaging: true,
    migrate: !worker,
    sweepDerived: !worker,
  });
  const url = await app.listen();
  if (!worker || cluster.worker?.id === 1) {
    console.log(
      `stowage listening on ${url} (data: ${config.dataDir}${config.workers > 1 ? `, ${config.workers} workers` : ''})`,
    );
  }
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
