/** The filesystem API's services wired to their Kysely repositories (part of the runtime). */
import type { AccountService } from './core/accounts.js';
import type { FileService } from './core/files.js';
import { FilesystemService } from './core/filesystem/index.js';
import { changeLogPruner, type ChangeLogPruner } from './core/filesystem/prune.js';
import type { Db } from './storage/db.js';
import { KyselyFsRepository } from './storage/fs-repository.js';
import { KyselyLockRepository } from './storage/lock-repository.js';

export function createFilesystem(deps: {
  db: Db;
  files: FileService;
  accounts: AccountService;
  /** How often the change log is pruned (0 = never on a timer: the CLI, tests). */
  intervalMs: number;
  now?: () => number;
}): { filesystem: FilesystemService; fsChangePrune: ChangeLogPruner } {
  const clock = deps.now ? { now: deps.now } : {};
  const filesystem = new FilesystemService(
    new KyselyFsRepository(deps.db),
    deps.files,
    deps.accounts,
    clock,
  );
  const fsChangePrune = changeLogPruner(filesystem, new KyselyLockRepository(deps.db), {
    intervalMs: deps.intervalMs,
    ...clock,
  });
  fsChangePrune.start();
  return { filesystem, fsChangePrune };
}
