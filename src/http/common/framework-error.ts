/**
 * Errors Fastify raises itself before a handler runs (an unparseable Content-Type, a body over a
 * route's limit...): client errors each dialect answers in its own shape, never as a 500.
 */
export interface FrameworkError {
  status: number;
  /** Fastify's code, e.g. FST_ERR_CTP_INVALID_MEDIA_TYPE. */
  code: string;
  message: string;
}

/** The client error Fastify meant, or null when `err` is not one of its 4xx errors. */
export function frameworkClientError(err: unknown): FrameworkError | null {
  if (!(err instanceof Error)) return null;
  const { code, statusCode } = err as Error & { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_')) return null;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return null;
  return { status: statusCode, code, message: err.message };
}

/** Fastify refused the request's Content-Type (malformed, or no parser for it). */
export function isInvalidMediaType(e: FrameworkError): boolean {
  return e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
}
