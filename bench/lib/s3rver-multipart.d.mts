import type S3rver from 's3rver';

/** ListParts, AbortMultipartUpload and UploadPartCopy for s3rver (tests and the bench). */
export function extendS3rver(server: S3rver, dir: string): void;
