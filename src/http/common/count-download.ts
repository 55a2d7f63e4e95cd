import type { Core } from '../../core/index.js';

/**
 * Count bytes of a file sent to a client: a download (once a day per client) and bandwidth.
 * `exempt`: the downloader is exempt from the download rules (paid bandwidth); `governed`: the
 * bytes count toward the client's per-IP transfer limit (pixeldrain downloads; the other dialects'
 * downloads are not governed by the rules).
 */
export function countDownload(
  core: Core,
  fileId: string,
  bytes: number,
  client: string,
  opts: { exempt?: boolean; governed?: boolean } = {},
): void {
  if (bytes <= 0) return;
  core.traffic.download(fileId, client);
  core.traffic.sent(fileId, bytes, { exempt: opts.exempt ?? false });
  if (opts.governed) core.rules.transferred(client, bytes, opts.exempt ?? false);
}
