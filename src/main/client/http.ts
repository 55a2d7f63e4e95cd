import { ClientError, EXIT } from './errors.js';
import type { ClientSettings } from './config.js';

/** `Basic base64(":" + key)`: pixeldrain's way, the key as the password. */
export function basicAuth(key: string): string {
  return 'Basic ' + Buffer.from(`:${key}`).toString('base64');
}

/** One path component, URL-encoded (filesystem paths are encoded component by component). */
export const encodePath = (p: string) =>
  p
    .split('/')
    .filter((c) => c !== '')
    .map(encodeURIComponent)
    .join('/');

/** A non-2xx answer as a ClientError with the server's `value` (pixeldrain JSON errors). */
export async function errorFromResponse(res: Response): Promise<ClientError> {
  let value = `http_${res.status}`;
  let message = res.statusText;
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { value?: unknown; message?: unknown };
      if (typeof body.value === 'string' && body.value) value = body.value;
      if (typeof body.message === 'string') message = body.message;
    } catch {
      if (text.trim() && text.length < 300) message = text.trim();
    }
  } catch {
    // the body could not be read: the status says enough
  }
  const code = res.status >= 400 && res.status < 500 ? EXIT.refused : EXIT.network;
  return new ClientError(value, message, code, res.status);
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  signal?: AbortSignal;
  /** Send without the key even when one is configured. */
  anonymous?: boolean;
}

/** The server as the client commands see it: a base URL and an optional key, HTTP only. */
export class Api {
  constructor(readonly settings: ClientSettings) {}

  get base(): string {
    return this.settings.url;
  }

  url(pathAndQuery: string): string {
    return this.base + pathAndQuery;
  }

  authHeaders(): Record<string, string> {
    return this.settings.key ? { Authorization: basicAuth(this.settings.key) } : {};
  }

  /** A request; a streaming body is sent as it is read (duplex: 'half'). Answers any status. */
  async raw(pathAndQuery: string, opts: RequestOptions = {}): Promise<Response> {
    const body = opts.body ?? null;
    const streaming = body instanceof ReadableStream;
    const init: RequestInit & { duplex?: 'half' } = {
      method: opts.method ?? 'GET',
      headers: { ...(opts.anonymous ? {} : this.authHeaders()), ...opts.headers },
      body,
      signal: opts.signal,
      redirect: 'follow',
    };
    if (streaming) init.duplex = 'half';
    return fetch(this.url(pathAndQuery), init);
  }

  /** A request whose 2xx answer is JSON; other answers throw a ClientError. */
  async json<T>(pathAndQuery: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(pathAndQuery, opts);
    if (!res.ok) throw await errorFromResponse(res);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ClientError(
        'bad_response',
        `the server answered something else than JSON`,
        EXIT.network,
        res.status,
      );
    }
  }

  /** A request that must succeed; its body is discarded. */
  async ok(pathAndQuery: string, opts: RequestOptions = {}): Promise<Response> {
    const res = await this.raw(pathAndQuery, opts);
    if (!res.ok) throw await errorFromResponse(res);
    await res.body?.cancel();
    return res;
  }
}

/** A file id from an id, `/u/{id}`, `/api/file/{id}[/info]` or a full URL to either. */
export function fileIdFrom(input: string): string {
  const s = input.trim();
  let p = s;
  if (/^https?:\/\//i.test(s)) {
    try {
      p = new URL(s).pathname;
    } catch {
      return s;
    }
  }
  const m = /\/(?:u|api\/file)\/([^/?#,]+)/.exec(p);
  return decodeURIComponent(m ? m[1]! : p.replace(/^\/+|\/+$/g, ''));
}
