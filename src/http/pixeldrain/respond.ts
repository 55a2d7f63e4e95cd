import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClientInfo, NewSession } from '../../core/accounts.js';
import type { ApiKeyRecord } from '../../core/records.js';

/** Small pieces every pixeldrain endpoint shares: JSON replies, generic bodies, sessions. */

export const OK = {
  success: true,
  value: 'ok',
  message: 'The requested action was successfully performed',
};

export const CREATED = {
  success: true,
  value: 'created',
  message: 'The submitted resource was created',
};

/** Compact JSON in the field order given (clients regex raw bodies, spec 1.4). */
export function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Form and JSON bodies are small: this bounds what a request may make us hold. */
export const FORM_MAX_BYTES = 64 * 1024;

export function clientInfo(req: FastifyRequest): ClientInfo {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : '' };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A session (API key) as pixeldrain shows it; `auth_key` only exists right after creation. */
export function sessionJson(record: ApiKeyRecord, key?: string) {
  return {
    ...(key ? { auth_key: key } : {}),
    creation_ip_address: record.creationIp,
    user_agent: record.userAgent,
    app_name: record.appName,
    creation_time: iso(record.createdAt),
    last_used_time: iso(record.lastUsedAt),
    // Not in pixeldrain: keys are stored hashed, so a listed session is named by this id instead.
    id: record.keyId,
  };
}

export function newSessionJson(s: NewSession) {
  return sessionJson(s.record, s.key);
}

const COOKIE_MAX_AGE = 30 * 24 * 3600;

/** `pd_auth_key`: HttpOnly so page scripts never see it, SameSite=Lax against cross-site posts. */
export function setAuthCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  key: string | null,
  secure: boolean,
): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (secure || req.protocol === 'https') attrs.push('Secure');
  const value = key ? `pd_auth_key=${key}; Max-Age=${COOKIE_MAX_AGE}` : 'pd_auth_key=; Max-Age=0';
  reply.header('Set-Cookie', `${value}; ${attrs.join('; ')}`);
}
