import type { Readable } from 'node:stream';

/**
 * Port: fetch a file from a URL on a user's behalf (Chevereto's URL `source`). The adapter
 * (src/net/safe-fetch.ts) refuses addresses inside the network, follows a few redirects (each
 * checked again), caps the size while streaming and bounds the total time.
 */
export interface RemoteSource {
  open(url: string, limits: RemoteLimits, opts?: RemoteOpenOptions): Promise<RemoteFile>;
}

export interface RemoteOpenOptions {
  /** Aborting stops the fetch at any point (the body, once handed over, errors with the reason). */
  signal?: AbortSignal;
}

export interface RemoteLimits {
  /** The body is cut off (RemoteFetchError too_large) past this many bytes. */
  maxBytes: number;
  /** Everything, from the DNS lookup to the last body byte, within this time. */
  timeoutMs: number;
}

export interface RemoteFile {
  /** The body; it errors with a RemoteFetchError when a limit is hit while reading. */
  body: Readable;
  /** A file name from Content-Disposition or the last path segment ('' when none). */
  name: string;
  /** The Content-Type the server sent ('' when none). */
  type: string;
  /** The URL finally fetched (after redirects). */
  url: string;
  /** The size the server declared (Content-Length), null when it did not. */
  size: number | null;
}

export type RemoteFailure =
  /** Not an absolute http(s) URL, or credentials in it. */
  | 'invalid_url'
  /** The host resolves to an address we do not fetch from (private, loopback, metadata...). */
  | 'forbidden_address'
  /** The host did not resolve, or the connection failed. */
  | 'unreachable'
  | 'too_many_redirects'
  /** The server answered with an error status. */
  | 'http_status'
  | 'too_large'
  | 'timeout'
  /** URL uploads are switched off on this server. */
  | 'disabled'
  /** The fetch was given up on request (the client went away). */
  | 'cancelled';

export class RemoteFetchError extends Error {
  constructor(
    readonly reason: RemoteFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteFetchError';
  }
}
