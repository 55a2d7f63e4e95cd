import type { AccountService } from './accounts.js';
import type { FileService } from './files.js';
import type { ListService } from './lists.js';
import type { MediaService } from './media.js';

/** Everything the adapters (HTTP dialects, CLI) may call. */
export interface Core {
  files: FileService;
  accounts: AccountService;
  lists: ListService;
  media: MediaService;
}
