import type { AccountService } from './accounts.js';
import type { FileService } from './files.js';

/** Everything the adapters (HTTP dialects, CLI) may call. */
export interface Core {
  files: FileService;
  accounts: AccountService;
}
