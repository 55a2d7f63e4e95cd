import type { DataStore, Locker } from '@tus/utils';

/** What the tus server (HTTP layer) writes an upload's bytes through and locks uploads with. */
export interface TusBackend {
  datastore: DataStore;
  locker: Locker;
  /** Release what the backend holds open (S3 client, Redis connections). */
  close?(): Promise<void>;
}
