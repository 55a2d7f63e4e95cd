// The framework floor of the 4 KiB GET: what Fastify itself reaches on this machine. A cluster of
// STOWAGE_WORKERS workers runs Fastify (the project's own version, with Stowage's server options)
// and one route, GET /api/file/:id, whose handler hijacks the reply and writes the same 4 KiB from
// memory with headers like Stowage's download (as Stowage's download handler writes its raw
// response): no lookup, no download rules, no counters, no timeouts. Between the node:http floor
// (floor.mjs) and Stowage, it splits the 4 KiB GET's gap into what the framework costs and what
// Stowage's own work per request costs.

import { createRequire } from 'node:module';
import { freePort } from './servers.mjs';
import { HOST, log, startScript } from './util.mjs';

const SERVER = `
const cluster = require('node:cluster');
const [port, workers, fastifyPath] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log('ready'); });
  cluster.on('exit', () => process.exit(1)); // a worker that died (or never listened) ends the floor
} else {
  const Fastify = require(fastifyPath);
  const body = Buffer.alloc(4096, 7);
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: '"' + 'e'.repeat(64) + '"',
    'Last-Modified': new Date(0).toUTCString(),
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Content-Disposition': 'inline; filename="small.bin"; filename*=UTF-8\\'\\'small.bin',
    'Content-Length': body.length,
  };
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 16 * 1024 },
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  app.get('/api/file/:id', async (req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, headers);
    reply.raw.end(body);
  });
  app.listen({ port, host: '${HOST}' }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
`;

/**
 * wrk's 4 KiB GET against the Fastify floor (`workers` processes), measured like Stowage's row:
 * wrk's result ({ okRps, non2xx, latencyMs, ... }).
 */
export async function measureFastifyFloor({ runWrk, wrk, workers, seconds, warmupSeconds }) {
  const port = await freePort();
  const fastify = createRequire(import.meta.url).resolve('fastify');
  const { stop } = await startScript(
    SERVER,
    [String(port), String(workers), fastify],
    'fastify floor server',
  );
  try {
    if (warmupSeconds) await runWrk(wrk, port, '/api/file/abcdefgh', warmupSeconds);
    const get = await runWrk(wrk, port, '/api/file/abcdefgh', seconds);
    log(
      `fastify floor: GET 4 KiB ${get.okRps} req/s (non-2xx ${get.non2xx}, p99 ${get.latencyMs.p99} ms)`,
    );
    return get;
  } finally {
    stop();
  }
}
