import { promises as dns } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { parse as parseDisposition } from 'content-disposition';
import {
  RemoteFetchError,
  type RemoteFile,
  type RemoteLimits,
  type RemoteOpenOptions,
  type RemoteSource,
} from '../core/remote.js';

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export interface SafeFetcherOptions {
  /** Host names, addresses or CIDR blocks that may be fetched from although private. */
  allow?: readonly string[];
  /** DNS (tests inject one). Default: the system resolver, all addresses. */
  resolver?: Resolver;
  /** Redirects followed, each checked like the first URL. */
  maxRedirects?: number;
  userAgent?: string;
}

/**
 * Whether an address is on the public internet: ipaddr.js classifies it (private, loopback,
 * link-local and the metadata address, shared/CGNAT, reserved, multicast, NAT64, 6to4, Teredo…:
 * anything but 'unicast' is refused), and an IPv6 address must also be in 2000::/3, the only
 * block of global unicast addresses (this refuses the IPv4-compatible ::/96, which ipaddr.js
 * calls unicast, and the unallocated rest).
 */
function isPublic(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (address.range() !== 'unicast') return false;
  return address.kind() === 'ipv4' || address.match(GLOBAL_UNICAST_V6);
}
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Fetch a URL for a user without letting them reach inside our network (SSRF): http and https
 * only; the host resolved once and every address checked; the connection made to the checked
 * address (a custom `lookup`, so a second DNS answer cannot swap it); a few redirects, each
 * checked again; the body cut off past `maxBytes`; one time limit for everything, slow bodies
 * included.
 */
export class SafeFetcher implements RemoteSource {
  private readonly allowed = new net.BlockList();
  private readonly allowedHosts = new Set<string>();
  private readonly resolver: Resolver;
  private readonly maxRedirects: number;
  private readonly userAgent: string;

  constructor(opts: SafeFetcherOptions = {}) {
    for (const entry of opts.allow ?? []) this.addAllowed(entry);
    this.resolver = opts.resolver ?? ((host) => dns.lookup(host, { all: true, verbatim: true }));
    this.maxRedirects = opts.maxRedirects ?? 3;
    this.userAgent = opts.userAgent ?? 'Stowage (URL upload)';
  }

  private addAllowed(entry: string): void {
    const e = entry.trim().replace(/[[\]]/g, '');
    const [addr, bits] = e.split('/');
    const family = net.isIP(addr ?? '');
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits !== undefined) this.allowed.addSubnet(addr!, Number(bits), type);
      else this.allowed.addAddress(addr!, type);
    } else {
      this.allowedHosts.add(e.toLowerCase());
    }
  }

  /** Whether an address may be connected to (IPv4-mapped IPv6 addresses count as IPv4). */
  addressAllowed(address: string): boolean {
    const a = canonicalAddress(address);
    const type = net.isIP(a) === 4 ? 'ipv4' : 'ipv6';
    if (this.allowed.check(a, type)) return true;
    return ipaddr.isValid(a) && isPublic(ipaddr.parse(a));
  }

  async open(url: string, limits: RemoteLimits, opts: RemoteOpenOptions = {}): Promise<RemoteFile> {
    const timeout = new RemoteFetchError(
      'timeout',
      `The URL could not be fetched within ${Math.round(limits.timeoutMs / 100) / 10} s`,
    );
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(timeout), limits.timeoutMs);
    timer.unref();
    // The caller's signal (a client that went away) stops everything as the time limit does.
    const outer = opts.signal;
    const onCancel = () =>
      ac.abort(
        outer?.reason instanceof RemoteFetchError
          ? outer.reason
          : new RemoteFetchError('cancelled', 'The URL fetch was cancelled'),
      );
    if (outer?.aborted) onCancel();
    else outer?.addEventListener('abort', onCancel, { once: true });
    let handedOver = false;
    try {
      let current = parseUrl(url);
      for (let hop = 0; ; hop++) {
        const target = await raceAbort(this.checkedAddress(current), ac.signal);
        const res = await this.request(current, target, ac.signal);
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status) && res.headers.location) {
          res.resume();
          if (hop >= this.maxRedirects) {
            throw new RemoteFetchError(
              'too_many_redirects',
              `The URL redirected more than ${this.maxRedirects} times`,
            );
          }
          current = parseUrl(res.headers.location, current);
          continue;
        }
        if (status < 200 || status > 299) {
          res.resume();
          throw new RemoteFetchError('http_status', `The URL answered with HTTP ${status}`);
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (declared > limits.maxBytes) {
          res.destroy();
          throw tooLarge(limits.maxBytes);
        }
        const body = capped(limits.maxBytes);
        const onAbort = () => res.destroy(ac.signal.reason as Error);
        ac.signal.addEventListener('abort', onAbort, { once: true });
        pipeline(res, body, () => {
          clearTimeout(timer);
          ac.signal.removeEventListener('abort', onAbort);
          outer?.removeEventListener('abort', onCancel);
        });
        handedOver = true;
        return {
          body,
          name: fileNameOf(res.headers['content-disposition'], current),
          type: String(res.headers['content-type'] ?? ''),
          url: current.href,
          size: Number.isSafeInteger(declared) && declared >= 0 ? declared : null,
        };
      }
    } catch (err) {
      if (ac.signal.aborted) throw ac.signal.reason as Error;
      throw err;
    } finally {
      if (!handedOver) {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onCancel);
      }
    }
  }

  /** Resolve once, check every address; the one to connect to. */
  private async checkedAddress(u: URL): Promise<{ address: string; family: number }> {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const literal = net.isIP(host);
    if (literal !== 0) {
      if (!this.addressAllowed(host)) throw forbidden(host, host);
      return { address: host, family: literal };
    }
    let addresses: { address: string; family: number }[];
    try {
      addresses = await this.resolver(host);
    } catch {
      throw new RemoteFetchError('unreachable', `The host ${host} could not be resolved`);
    }
    if (addresses.length === 0) {
      throw new RemoteFetchError('unreachable', `The host ${host} could not be resolved`);
    }
    if (!this.allowedHosts.has(host.toLowerCase())) {
      const bad = addresses.find((a) => !this.addressAllowed(a.address));
      if (bad) throw forbidden(host, bad.address);
    }
    return addresses[0]!;
  }

  private request(
    u: URL,
    target: { address: string; family: number },
    signal: AbortSignal,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const secure = u.protocol === 'https:';
      const host = u.hostname.replace(/^\[|\]$/g, '');
      const options: https.RequestOptions = {
        protocol: u.protocol,
        hostname: host,
        port: u.port || (secure ? 443 : 80),
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        headers: {
          'User-Agent': this.userAgent,
          Accept: '*/*',
          'Accept-Encoding': 'identity',
        },
        // A fresh connection, to the address checked above: no pooled socket, no second lookup.
        agent: false,
        lookup: ((_hostname: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
          if (opts.all) cb(null, [{ address: target.address, family: target.family }]);
          else cb(null, target.address, target.family);
        }) as unknown as http.RequestOptions['lookup'],
        ...(secure && net.isIP(host) === 0 ? { servername: host } : {}),
      };
      const req = (secure ? https : http).request(options, (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      });
      const onAbort = () => req.destroy(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err instanceof RemoteFetchError) reject(err);
        else
          reject(
            new RemoteFetchError('unreachable', `The URL could not be fetched: ${err.message}`),
          );
      });
      req.end();
    });
  }
}

/** `::ffff:127.0.0.1` and `::ffff:7f00:1` are 127.0.0.1 (ipaddr.js: IPv4-mapped to IPv4). */
export function canonicalAddress(address: string): string {
  return ipaddr.isValid(address) ? ipaddr.process(address).toString() : address.toLowerCase();
}

function parseUrl(raw: string, base?: URL): URL {
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    throw new RemoteFetchError('invalid_url', 'The URL is not valid');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new RemoteFetchError('invalid_url', 'Only http and https URLs can be fetched');
  }
  if (u.username || u.password) {
    throw new RemoteFetchError('invalid_url', 'URLs with credentials are not fetched');
  }
  return u;
}

function forbidden(host: string, address: string): RemoteFetchError {
  return new RemoteFetchError(
    'forbidden_address',
    host === address
      ? `The address ${address} is not allowed for URL uploads`
      : `The host ${host} resolves to ${address}, which is not allowed for URL uploads`,
  );
}

function tooLarge(max: number): RemoteFetchError {
  return new RemoteFetchError('too_large', `The file at the URL is larger than ${max} bytes`);
}

/** Passes bytes through until `max`, then fails with too_large. */
function capped(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > max) cb(tooLarge(max));
      else cb(null, chunk);
    },
  });
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

/**
 * A name from Content-Disposition (the `content-disposition` parser: filename* first, UTF-8 or
 * ISO-8859-1, quoted-pair escapes), else the URL's last path segment. The parser is lenient:
 * malformed headers servers send (`filename=a b.txt` unquoted) are read, not refused.
 */
function fileNameOf(disposition: string | undefined, u: URL): string {
  if (disposition) {
    const name = parseDisposition(disposition).parameters.filename?.trim();
    if (name) return name.split(/[\\/]/).pop() ?? '';
  }
  const last = u.pathname.split('/').pop() ?? '';
  return safeDecode(last);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
