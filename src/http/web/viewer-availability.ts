import type { Core } from '../../core/index.js';
import type { FileRecord } from '../../core/records.js';
import { availabilityOf, type AvailabilityFields } from '../pixeldrain/download-rules.js';

/** Who opens the viewer: the download rules judge this client (address, account). */
export interface ViewerClient {
  client: string;
  userId: string | null;
}

/**
 * The file's availability for this visitor, rendered into the viewer page (FileInfo
 * `availability` and `availability_message`): `''` when it downloads directly, else a download
 * error value; those ending in `_captcha_required` make the viewer's Download button open the
 * captcha dialog.
 */
export function viewerAvailability(
  core: Core,
  file: FileRecord,
  who: ViewerClient,
): Promise<AvailabilityFields> {
  return availabilityOf(core, file, who);
}
