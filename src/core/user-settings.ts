import { requireAccess } from './access.js';
import type { Principal } from './accounts.js';
import { CoreError } from './errors.js';
import type { UserRecord, UserRepository } from './records.js';

/**
 * An account's sharing settings (pixeldrain's `skip_file_viewer` and `embed_domains`): whether
 * links to its files' viewer go straight to the file, and which sites may show its files' viewer
 * in a frame. The domains end up in a Content-Security-Policy header, so only plain host names
 * pass (letters, digits, hyphens, dots; optionally a leading `*.`): no scheme, port, path, quote,
 * semicolon, comma or control character can reach the header.
 */

/** At most this many domains, and this many characters of input. */
export const EMBED_DOMAINS_MAX = 32;
export const EMBED_DOMAINS_INPUT_MAX = 2048;
/** A DNS name's limit. */
const HOSTNAME_MAX = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether one token is a host name a CSP host-source may carry as is (lowercase). */
export function isEmbedDomain(token: string): boolean {
  const host = token.startsWith('*.') ? token.slice(2) : token;
  if (host.length === 0 || host.length > HOSTNAME_MAX) return false;
  const labels = host.split('.');
  // pixeldrain's rule: a domain contains a period (so no bare `*`, no `localhost`).
  if (labels.length < 2) return false;
  return labels.every((l) => LABEL.test(l));
}

function invalidDomain(message: string): CoreError {
  return new CoreError('invalid_domain_name', message);
}

/**
 * The domains of an input as pixeldrain's UI sends them (separated by spaces; commas and line
 * breaks are taken too): lowercased, duplicates dropped, in order. Empty input: none.
 * Throws invalid_domain_name naming the first token that is not a host name.
 */
export function parseEmbedDomains(input: string): string[] {
  if (input.length > EMBED_DOMAINS_INPUT_MAX)
    throw invalidDomain(`The list of domains is longer than ${EMBED_DOMAINS_INPUT_MAX} characters`);
  const out: string[] = [];
  for (const raw of input.split(/[\s,]+/)) {
    if (raw === '') continue;
    const token = raw.toLowerCase();
    if (!isEmbedDomain(token)) {
      // JSON carries the message; still, show only printable ASCII of the token.
      const shown = raw.slice(0, 80).replace(/[^\x21-\x7e]/g, '?');
      throw invalidDomain(
        `"${shown}" is not a domain name: use names like example.com or *.example.com, without scheme, port or path`,
      );
    }
    if (!out.includes(token)) out.push(token);
  }
  if (out.length > EMBED_DOMAINS_MAX)
    throw invalidDomain(`At most ${EMBED_DOMAINS_MAX} domains may embed your files`);
  return out;
}

export interface SharingSettings {
  skipFileViewer: boolean;
  embedDomains: string[];
}

export function sharingOf(user: UserRecord | null): SharingSettings {
  return {
    skipFileViewer: user?.skipFileViewer ?? false,
    // Re-checked on the way out: only names that pass today's rule reach a header.
    embedDomains: (user?.embedDomains ?? []).filter(isEmbedDomain),
  };
}

export class UserSettingsService {
  constructor(private readonly repo: UserRepository) {}

  /** Change the caller's own settings (a full-level key); user_not_found if it went. */
  async set(principal: Principal, changes: Partial<SharingSettings>): Promise<void> {
    requireAccess(principal, 'manage_account');
    const domains =
      changes.embedDomains === undefined ? undefined : changes.embedDomains.filter(isEmbedDomain);
    if (domains && domains.length !== changes.embedDomains!.length)
      throw invalidDomain('One of the domains is not a domain name');
    const ok = await this.repo.setSharing(principal.userId, {
      ...(changes.skipFileViewer !== undefined ? { skipFileViewer: changes.skipFileViewer } : {}),
      ...(domains ? { embedDomains: domains } : {}),
    });
    if (!ok) throw new CoreError('user_not_found', 'The user could not be found');
  }

  /** The settings of a file's or list's owner (anonymous uploads: the defaults). */
  async ofOwner(ownerId: string | null): Promise<SharingSettings> {
    return sharingOf(ownerId ? await this.repo.findUserById(ownerId) : null);
  }
}
