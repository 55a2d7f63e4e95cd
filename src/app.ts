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
export async function buildApp(config: Config, opts: Partial<RuntimeOptions> = {}): Promise<App> {
  const runtime = await createRuntime(config, { cleanStaging: true, migrate: true, ...opts });
  const server = await createServer(runtime.core, config);
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
