import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createServer } from './http/server.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export type { Runtime, RuntimeOptions } from './runtime.js';

export interface App {
  server: FastifyInstance;
  runtime: Runtime;
  /** Listen on config.host:config.port (port 0 = any free port); resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Build a complete server. Never listens by itself; can be built many times in one process. */
export async function buildApp(
  config: Config,
  opts: Partial<RuntimeOptions> & { logStream?: NodeJS.WritableStream } = {},
): Promise<App> {
  const { logStream, ...runtimeOpts } = opts;
  const runtime = await createRuntime(config, {
    cleanStaging: true,
    migrate: true,
    sweepExpired: true,
    ...runtimeOpts,
  });
  const server = await createServer(runtime.core, config, { logStream });
  await reportMedia(runtime, server);
  return {
    server,
    runtime,
    listen: async () => {
      await server.listen({ host: config.host, port: config.port });
      const addr = server.server.address();
      if (!addr || typeof addr === 'string') throw new Error('server has no TCP address');
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    },
    close: async () => {
      await server.close();
      await runtime.close();
    },
  };
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
