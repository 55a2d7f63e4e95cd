export { FilesystemService, CHANGE_LOG_SPAN, MAX_ZIP_NODES } from './service.js';
export { asFile } from './as-file.js';
export type { FsStat, Located, UpdateFields, FsCaller, BucketView, PutOptions } from './service.js';
export { FsError, type FsErrorCode } from './errors.js';
export { displayPath, SHARE_ID } from './access.js';
export { parseRawPath, parseDecodedPath, LIMITS, type FsPath } from './paths.js';
export type { FsNodeRecord, Permissions, FsChange, FsRepository } from './types.js';
