import type { IncomingHttpHeaders } from 'node:http';

export interface Credentials {
  /** '' for a Basic header with an empty password (`curl -u :`): a key that was meant and is missing. */
  key: string;
  /** Where the key came from: a bad Basic key is an error, a stale cookie on a public page is not. */
  source: 'basic' | 'cookie';
}

/** The API key of a request: HTTP Basic password (any username), else the `pd_auth_key` cookie. */
export function readCredentials(headers: IncomingHttpHeaders): Credentials | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(auth);
    if (m) {
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // An empty password is kept: `-u ":$KEY"` with an unset variable must fail, not upload anonymously.
      return { key: (colon >= 0 ? decoded.slice(colon + 1) : decoded).trim(), source: 'basic' };
    }
  }
  // Hand-written: the `cookie` package installed (2.0.2, through light-my-request) requires
  // Node 22, and this one lookup is a few lines.
  const cookie = headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === 'pd_auth_key') {
        const key = decodeCookieValue(part.slice(eq + 1).trim());
        if (key) return { key, source: 'cookie' };
      }
    }
  }
  return null;
}

/**
 * A cookie value, percent-decoded when it is valid percent-encoding; otherwise as sent (`%`,
 * `%zz`), which no key matches: a malformed cookie is a bad key, never a failure of the server.
 */
function decodeCookieValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
