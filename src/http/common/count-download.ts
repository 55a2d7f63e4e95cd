import type { Core } from '../../core/index.js';

/** Count bytes of a file sent to a client: a download (once a day per client) and bandwidth. */
export function countDownload(core: Core, fileId: string, bytes: number, client: string): void {
  if (bytes <= 0) return;
  core.traffic.download(fileId, client);
  core.traffic.sent(fileId, bytes);
}
