import type { DataStore, Locker } from '@tus/utils';

/** What the tus server (HTTP layer) writes an upload's bytes through and locks uploads with. */
export interface TusBackend {
  datastore: DataStore;
  locker: Locker;
  /** Release what the backend holds open (S3 client, Redis connections). */
  close?(): Promise<void>;
}

/** tusd's answer for an upload another request keeps locked (tus's own would be a 500). */
export const UPLOAD_LOCKED = {
  status_code: 423,
  body: 'The upload is locked by another request\n',
};
