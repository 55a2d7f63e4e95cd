import type { Core } from '../../core/index.js';
import type { FileRecord } from '../../core/records.js';

/** Who opens the viewer: the download rules judge this client (address, account). */
export interface ViewerClient {
  client: string;
  userId: string | null;
}

/**
 * The file's availability for this visitor, rendered into the viewer page (FileInfo
 * `availability`): `''` when it downloads directly, else a download error value; those ending in
 * `_captcha_required` make the viewer's Download button open the captcha dialog.
 */
export async function viewerAvailability(
  core: Core,
  file: FileRecord,
  who: ViewerClient,
): Promise<string> {
  // merge: availabilityOf(core, file, {client: req.ip, userId})
  void core;
  void file;
  void who;
  return '';
}
