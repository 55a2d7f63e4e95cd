import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../core/errors.js';
import { BodyError } from './form.js';

/** What replaces a secret in a log line. */
export const REDACTED = '[redacted]';

/**
 * Query parameters that carry credentials or delete secrets on one API or another: Chevereto's
 * `key`, pixeldrain's delete `key`, FileBin's `apikey`, the `pd_auth_key` cookie's name...
 */
const SECRET_PARAMS =
  /^(?:key|apikey|api_key|auth_key|pd_auth_key|delete_key|deletekey|password|pass|token|access_token|secret|session|signature|x-amz-signature|x-amz-credential)$/i;

/** Paths with a secret segment: Chevereto's delete URL `/image/{id}/delete/{secret}`. */
const SECRET_PATH = /(\/image\/[^/?#]*\/delete\/)[^/?#]+/gi;

/** A request URL (path and query) as it may be logged: secrets masked, the rest intact. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const pathPart = (q < 0 ? url : url.slice(0, q)).replace(SECRET_PATH, `$1${REDACTED}`);
  if (q < 0) return pathPart;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_PARAMS.test(name.trim()) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${pathPart}?${query}`;
}

/** Secrets inside free text (an error message that quotes a URL or a header). */
function redactText(text: string): string {
  return text
    .replace(SECRET_PATH, `$1${REDACTED}`)
    .replace(
      /([?&](?:key|apikey|api_key|auth_key|delete_key|password|token|secret)=)[^&\s'"]*/gi,
      `$1${REDACTED}`,
    )
    .replace(/((?:authorization|cookie):\s*)[^\r\n'"]*/gi, `$1${REDACTED}`);
}

type LoggedError = { [key: string]: unknown; type: string; message: string; stack: string };

/** Where log lines go: pino's own stdout destination, or a stream given (tests, pretty lines). */
export type LogDestination = NodeJS.WritableStream | { write(line: string): unknown };

/**
 * Pino options for Fastify's logger: headers that carry credentials are never written, URLs are
 * logged with their secrets masked, and error messages too.
 */
export function loggerOptions(level: string, stream?: LogDestination) {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'res.headers["set-cookie"]',
        'headers.authorization',
        'headers.cookie',
        'headers["set-cookie"]',
        // Objects that may carry headers, by name: a leading wildcard (`*.headers…`) would make
        // pino run the redactor on every value of every line (~10 µs a line, measured).
        ...['request', 'reply', 'response', 'options', 'err'].flatMap((k) => [
          `${k}.headers.authorization`,
          `${k}.headers.cookie`,
          `${k}.headers["set-cookie"]`,
          `${k}.headers["x-api-key"]`,
        ]),
      ],
      censor: REDACTED,
    },
    serializers: {
      // Fastify's own request serializer, with the URL's secrets masked.
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url ?? ''),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
      err: (err: Error): LoggedError => {
        if (!(err instanceof Error))
          return { type: typeof err, message: redactText(String(err)), stack: '' };
        const out: LoggedError = {
          type: err.name,
          message: redactText(err.message),
          stack: redactText(err.stack ?? ''),
        };
        const code = (err as { code?: unknown }).code;
        if (code !== undefined) out.code = code;
        const status = (err as { statusCode?: unknown }).statusCode;
        if (status !== undefined) out.statusCode = status;
        return out;
      },
    },
  };
}

/** Node's codes for a peer that went away mid-transfer. */
const GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Multipart bodies that end before their closing boundary (busboy's words). */
const CUT_MULTIPART = /Unexpected end of (?:form|multipart)|Part terminated early|aborted/i;

/**
 * Whether a failure is the client's doing: its body broke off or was malformed, or it went away
 * while we answered. Those are client errors, not server failures.
 */
export function isClientFailure(err: unknown, req: FastifyRequest, reply?: FastifyReply): boolean {
  if (err instanceof BodyError) return true;
  if (err instanceof CoreError) return err.code === 'upload_aborted';
  const raw = req.raw;
  const res = reply?.raw;
  const gone =
    (raw.destroyed && !raw.complete) ||
    (res !== undefined && res.destroyed && !res.writableFinished);
  if (!gone || !(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && GONE.has(code)) || CUT_MULTIPART.test(err.message);
}

/**
 * A server-side failure of a request: an `error` event with the error's code (the request id is
 * the line's `reqId`).
 */
export function logServerError(req: FastifyRequest, err: unknown, message: string): void {
  const code = (err as { code?: unknown } | null)?.code;
  req.log.error(
    { event: 'error', code: typeof code === 'string' ? code : 'internal', err },
    message,
  );
}

/** Log a failed request: a client's failure at info level, anything else as an error event. */
export function logFailure(
  req: FastifyRequest,
  reply: FastifyReply | undefined,
  err: unknown,
  message: string,
): void {
  if (isClientFailure(err, req, reply)) {
    const e = err as { message?: unknown; code?: unknown };
    req.log.info(
      { clientError: { message: redactText(String(e.message)), code: e.code } },
      `client error: ${message}`,
    );
  } else {
    logServerError(req, err, message);
  }
}
