import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createServer } from './http/server.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { Metrics } from './metrics/registry.js';
import { MetricsTelemetry } from './metrics/telemetry.js';
import { ClusterMetricsWorker } from './metrics/cluster.js';
import { startMetricsServer, type MetricsServer } from './http/metrics/index.js';

export type { Runtime, RuntimeOptions } from './runtime.js';

export interface App {
  server: FastifyInstance;
  runtime: Runtime;
  /** Listen on config.host:config.port (port 0 = any free port); resolves to the base URL. */
  listen(): Promise<string>;
  /** STOWAGE_METRICS: the registry of this process (null when metrics are off). */
  metrics: Metrics | null;
  /** Base URL of the separate metrics port once listening (STOWAGE_METRICS_PORT), else null. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

/** Build a complete server. Never listens by itself; can be built many times in one process. */
export async function buildApp(
  config: Config,
  opts: Partial<RuntimeOptions> & {
    logStream?: NodeJS.WritableStream;
    /**
     * A `--workers` worker: GET /metrics on the main port answers for the whole node (asking the
     * primary), and the separate metrics port is the primary's, not this process's.
     */
    clusterWorker?: boolean;
  } = {},
): Promise<App> {
  const { logStream, clusterWorker = false, ...runtimeOpts } = opts;
  const metrics = config.metrics ? new Metrics() : null;
  const runtime = await createRuntime(config, {
    cleanStaging: true,
    migrate: true,
    sweepExpired: true,
    ...(metrics ? { telemetry: new MetricsTelemetry(metrics) } : {}),
    ...runtimeOpts,
  });
  const cluster = metrics && clusterWorker ? new ClusterMetricsWorker(metrics) : null;
  const scrape = cluster ? () => cluster.scrape() : () => metrics!.text();
  const server = await createServer(runtime.core, config, {
    logStream,
    tus: runtime.tus,
    ...(metrics ? { metrics: { metrics, scrape } } : {}),
  });
  await reportMedia(runtime, server);
  runtime.core.scanning?.useLogger(server.log);
  // Admin actions (web admin area, admin API) are `admin` events in the log too.
  runtime.core.audit.useLogger(server.log);
  let metricsServer: MetricsServer | null = null;
  const app: App = {
    server,
    runtime,
    metrics,
    metricsUrl: null,
    listen: async () => {
      await server.listen({ host: config.host, port: config.port });
      const addr = server.server.address();
      if (!addr || typeof addr === 'string') throw new Error('server has no TCP address');
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      if (metrics && config.metricsPort !== null && !clusterWorker && !metricsServer) {
        metricsServer = await startMetricsServer({
          host: config.host,
          port: config.metricsPort,
          token: config.metricsToken,
          scrape,
          onError: (err) => server.log.error({ err }, 'metrics: server error'),
        }).catch(async (err: unknown) => {
          await server.close();
          throw err;
        });
        app.metricsUrl = metricsServer.url;
      }
      return `http://${host}:${addr.port}`;
    },
    close: async () => {
      await metricsServer?.close();
      cluster?.close();
      await server.close();
      await runtime.close();
    },
  };
  return app;
}

/** Load the media tools now and say in the startup log which optional ones were found. */
async function reportMedia(runtime: Runtime, server: FastifyInstance): Promise<void> {
  const { media } = runtime.core;
  media.useLogger(server.log);
  try {
    const caps = await media.ready();
    const images = caps.images
      ? `${caps.images.library} (${caps.images.version}: ${caps.images.formats.join(', ')})`
      : 'none';
    const program = (name: string, version: string | null, without: string) =>
      version ?? `${name} not found (${without})`;
    server.log.info(
      { media: caps },
      `media: images ${images}; ${program('ffmpeg', caps.ffmpeg, 'no video thumbnails')}; ` +
        `${program('ffprobe', caps.ffprobe, 'no audio/video metadata')}; ` +
        `${program('pdftoppm', caps.pdftoppm, 'no PDF thumbnails')}`,
    );
  } catch (err) {
    server.log.error({ err }, 'media: tools could not be loaded; thumbnails are icons only');
  }
}
