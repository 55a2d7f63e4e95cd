import type { Core } from '../../core/index.js';
import type { FileRecord } from '../../core/records.js';

/**
 * Count bytes of a file sent to a client: a download (once a day per client) and bandwidth.
 * `exempt`: the downloader is exempt from the download rules (paid bandwidth); `governed`: the
 * bytes count toward the client's per-IP transfer limit (pixeldrain downloads; the other dialects'
 * downloads are not governed by the rules). One request that sends more than 10% of the file
 * resets its inactivity timer (at most once a day; batched, off the download path).
 */
export function countDownload(
  core: Core,
  file: FileRecord,
  bytes: number,
  client: string,
  opts: { exempt?: boolean; governed?: boolean } = {},
): void {
  if (bytes <= 0) return;
  const fileId = file.id;
  core.traffic.download(fileId, client);
  core.traffic.sent(fileId, bytes, { exempt: opts.exempt ?? false });
  core.limits.inactivity.downloaded(file, bytes);
  if (opts.governed) core.rules.transferred(client, bytes, opts.exempt ?? false);
}
