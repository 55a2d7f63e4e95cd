/**
 * Exit codes of the client commands (upload, download, info, ls, rm, list, login), for scripts:
 * 0 done, 1 usage or configuration (no server URL, a missing local file, a bad flag),
 * 2 the server refused (a 4xx answer: bad key, not found, quota...), 3 network or server trouble
 * (unreachable, 5xx, a download of the wrong size), 4 some items done and some failed,
 * 130 interrupted (Ctrl-C; run the same command again to resume).
 */
export const EXIT = {
  ok: 0,
  usage: 1,
  refused: 2,
  network: 3,
  partial: 4,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure to show in one line: the server's `value` (or a local one) and a message. */
export class ClientError extends Error {
  constructor(
    /** The pixeldrain error value (`authentication_failed`, `not_found`…) or a local one. */
    readonly value: string,
    message: string,
    readonly exitCode: ExitCode,
    /** The HTTP status when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** `value: message (HTTP status)` on one line. */
  line(): string {
    const msg = this.message.replace(/\s+/g, ' ').trim();
    const status = this.status ? ` (HTTP ${this.status})` : '';
    return msg && msg !== this.value ? `${this.value}: ${msg}${status}` : `${this.value}${status}`;
  }
}

export const usageError = (message: string) => new ClientError('usage', message, EXIT.usage);

/** Interruption by a signal: the partial work stays for the next run. */
export class Interrupted extends ClientError {
  constructor() {
    super('interrupted', 'interrupted; run the same command again to resume', EXIT.interrupted);
  }

  override line(): string {
    return this.message;
  }
}

/** Any thrown thing as a ClientError: network failures (fetch's TypeError and its cause) are 3. */
export function asClientError(err: unknown): ClientError {
  if (err instanceof ClientError) return err;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const local: Record<string, [string, string]> = {
    ENOENT: ['no_such_file', 'no such file or directory'],
    EACCES: ['permission_denied', 'permission denied'],
    EISDIR: ['is_a_directory', 'is a directory'],
    ENOTDIR: ['not_a_directory', 'not a directory'],
    ENOSPC: ['no_space', 'no space left on the device'],
  };
  const known = e?.code ? local[e.code] : undefined;
  if (known && !e.cause) return new ClientError(known[0], known[1], EXIT.usage);
  const cause = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return new ClientError(
    cause ? `network_error` : 'error',
    cause ? `${cause}: ${message}` : message,
    EXIT.network,
  );
}
