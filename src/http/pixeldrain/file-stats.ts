import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import type { WebSocket, RawData } from 'ws';
import type { Config } from '../../config.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { LiveCounters } from '../../core/traffic/live-stats.js';
import { sendPdError } from './errors.js';
import { rateLimitsFeed, type RateLimitsFeed } from './file-stats.limits.js';
import { errors, TAGS } from './schemas.js';

/** Largest client message accepted (a subscription is ~60 bytes); larger closes with 1009. */
export const MAX_STATS_MESSAGE = 4096;
/** Messages a socket may send per window before it is closed (1008). */
const MESSAGES_PER_WINDOW = 64;
const MESSAGE_WINDOW_MS = 10_000;
/** A peer that answers no ping for this long is gone. */
const PING_MS = 30_000;
/** Unsent bytes past which a socket is a slow consumer and is dropped. */
const MAX_BUFFERED = 1024 * 1024;

const WEBSOCKET_ENDPOINT = {
  status: 400,
  value: 'websocket_endpoint',
  message: 'This is a websocket endpoint: connect with a websocket client (Upgrade: websocket)',
};

/** An error told to the client on the socket (which stays open unless said otherwise). */
type StatsError =
  | 'json_parse_failed'
  | 'invalid_message'
  | 'unknown_message_type'
  | 'not_found'
  | 'too_many_subscriptions'
  | 'too_many_connections'
  | 'too_many_messages'
  | 'origin_not_allowed'
  | 'internal';

const MESSAGES: Record<StatsError, string> = {
  json_parse_failed: 'The message is not valid JSON',
  invalid_message: 'Expected {"type":"file_stats","data":{"file_id":"…"}} or {"type":"limits"}',
  unknown_message_type: 'Unknown message type; expected file_stats or limits',
  not_found: 'The entity you requested could not be found',
  too_many_subscriptions: 'This connection is subscribed to too many files',
  too_many_connections: 'Too many open stats connections from your address',
  too_many_messages: 'Too many messages; slow down',
  origin_not_allowed: 'Connections from other sites are not allowed',
  internal: 'Something went wrong on the server',
};

/**
 * `GET /api/file_stats` (spec 2.9): the viewer's websocket. Subscribing to a file's stats counts a
 * view (once per client address and file a day, TrafficService) and pushes the file's counters now
 * and whenever they change; `limits` pushes the caller's rate limits. A plain HTTP request answers
 * 400 `websocket_endpoint`.
 */
export function registerFileStats(app: FastifyInstance, core: Core, config: Config): void {
  /** Open sockets per client address. */
  const perIp = new Map<string, number>();

  app.route({
    method: 'GET',
    url: '/file_stats',
    schema: {
      summary: 'Live file stats (websocket)',
      description:
        'A websocket. Send {"type":"file_stats","data":{"file_id":"…"}} to subscribe to a file (this counts a view, once per client address and file a day): the server sends {"type":"file_stats","file_stats":{"views","downloads","bandwidth","bandwidth_paid"}} at once and whenever they change. {"type":"limits"} subscribes to the caller\'s rate limits ({"type":"limits","limits":{…}}). Errors arrive as {"type":"error","value","message"}. A request without Upgrade: websocket answers 400 websocket_endpoint.',
      tags: [TAGS.files],
      response: errors({ 400: 'websocket_endpoint' }),
    },
    handler: (_req: FastifyRequest, reply: FastifyReply) => sendPdError(reply, WEBSOCKET_ENDPOINT),
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      const ip = req.ip;
      // Every socket has its own error listener (a reset, a frame too large): it ends the socket
      // quietly; the close listener below releases what it held.
      socket.on('error', () => socket.terminate());
      if (!sameSite(req, config)) return refuse(socket, 'origin_not_allowed');
      const open = perIp.get(ip) ?? 0;
      if (open >= config.statsSocketsPerIp) return refuse(socket, 'too_many_connections');
      perIp.set(ip, open + 1);
      const session = new StatsSession(socket, core, config, ip);
      socket.once('close', () => {
        session.close();
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left > 0) perIp.set(ip, left);
        else perIp.delete(ip);
      });
    },
  });
}

/** A browser's socket must come from our own pages (no cross-site view counting). */
function sameSite(req: FastifyRequest, config: Config): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser: tools may subscribe
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  if (host === req.host) return true;
  if (config.publicUrl) {
    try {
      return new URL(config.publicUrl).host === host;
    } catch {
      return false;
    }
  }
  return false;
}

function refuse(socket: WebSocket, value: StatsError): void {
  sendJson(socket, errorMessage(value));
  socket.close(1008, value);
}

function errorMessage(value: StatsError) {
  return { type: 'error', success: false, value, message: MESSAGES[value] };
}

function sendJson(socket: WebSocket, body: unknown): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED) {
    socket.terminate();
    return;
  }
  socket.send(JSON.stringify(body));
}

/** One socket's subscriptions. */
class StatsSession {
  /** File id → its unsubscribe function (undefined while the subscription is being set up). */
  private readonly files = new Map<string, (() => void) | undefined>();
  private limits: { last: string } | null = null;
  private closed = false;
  private messages = 0;
  private windowStart = Date.now();
  private alive = true;
  private readonly ping: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly core: Core,
    private readonly config: Config,
    private readonly ip: string,
  ) {
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('pong', () => (this.alive = true));
    this.ping = setInterval(() => {
      if (!this.alive) return socket.terminate();
      this.alive = false;
      socket.ping();
    }, PING_MS);
    this.ping.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ping);
    for (const unsubscribe of this.files.values()) unsubscribe?.();
    this.files.clear();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const now = Date.now();
    if (now - this.windowStart > MESSAGE_WINDOW_MS) {
      this.windowStart = now;
      this.messages = 0;
    }
    if (++this.messages > MESSAGES_PER_WINDOW) return refuse(this.socket, 'too_many_messages');
    if (isBinary) return this.error('invalid_message');
    let msg: unknown;
    try {
      msg = JSON.parse(rawText(data));
    } catch {
      return this.error('json_parse_failed');
    }
    if (!isObject(msg) || typeof msg.type !== 'string') return this.error('invalid_message');
    if (msg.type === 'file_stats') {
      const fileId = isObject(msg.data) ? msg.data.file_id : undefined;
      if (typeof fileId !== 'string' || fileId.length === 0 || fileId.length > 64)
        return this.error('invalid_message');
      void this.subscribe(fileId);
    } else if (msg.type === 'limits') {
      void this.sendLimits(true);
    } else {
      this.error('unknown_message_type');
    }
  }

  private async subscribe(fileId: string): Promise<void> {
    if (this.files.has(fileId)) return; // already subscribed: neither a second view nor a second feed
    if (this.files.size >= this.config.statsMaxSubscriptions)
      return this.error('too_many_subscriptions');
    this.files.set(fileId, undefined);
    try {
      await this.core.files.get(fileId); // not_found for unknown, malformed and expired ids
      if (this.closed) return;
      this.core.traffic.view(fileId, this.ip);
      const unsubscribe = await this.core.liveStats.subscribe(fileId, (c) => this.push(c));
      if (this.closed || !this.files.has(fileId)) return unsubscribe();
      this.files.set(fileId, unsubscribe);
    } catch (err) {
      this.files.delete(fileId);
      if (this.closed) return;
      this.error(err instanceof CoreError && err.code === 'not_found' ? 'not_found' : 'internal');
    }
  }

  private push(c: LiveCounters): void {
    sendJson(this.socket, {
      type: 'file_stats',
      file_stats: {
        views: c.views,
        downloads: c.downloads,
        bandwidth: c.bandwidth,
        bandwidth_paid: c.bandwidthPaid,
      },
    });
    // Downloads move the caller's limits too: tell a limits subscriber what changed.
    if (this.limits) void this.sendLimits(false);
  }

  private async sendLimits(subscribe: boolean): Promise<void> {
    if (subscribe && !this.limits) this.limits = { last: '' };
    let limits: RateLimitsFeed;
    try {
      limits = await rateLimitsFeed(this.core, this.ip);
    } catch {
      return this.error('internal');
    }
    if (this.closed || !this.limits) return;
    const text = JSON.stringify(limits);
    if (!subscribe && text === this.limits.last) return;
    this.limits.last = text;
    sendJson(this.socket, { type: 'limits', limits });
  }

  private error(value: StatsError): void {
    sendJson(this.socket, errorMessage(value));
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
