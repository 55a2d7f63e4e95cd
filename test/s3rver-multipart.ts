import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type S3rver from 's3rver';

/**
 * s3rver (3.7) lacks three multipart calls real S3 has and `@tus/s3-store` relies on: ListParts,
 * AbortMultipartUpload and UploadPartCopy. This Koa middleware, put in front of s3rver's router,
 * answers them from s3rver's own files (`<dir>/<bucket>/._S3rver_uploads/<uploadId>/<part>`).
 * Test infrastructure only; ListMultipartUploads stays unsupported (501), as before.
 */
interface Ctx {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
  set(name: string, value: string): void;
}

const xml = (s: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${s}`;
const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function fail(ctx: Ctx, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = xml(`<Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>`);
}

export function multipartExtension(dir: string) {
  const uploadDir = (bucket: string, uploadId: string) =>
    path.join(dir, bucket, '._S3rver_uploads', path.basename(uploadId));
  const objectFile = (bucket: string, key: string) => {
    const parts = key.split('/');
    const last = parts.pop()!;
    return path.join(dir, bucket, ...parts, `${last}._S3rver_object`);
  };

  return async (ctx: Ctx, next: () => Promise<void>) => {
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    const uploadId = ctx.query.uploadId;
    if (!m || typeof uploadId !== 'string') return next();
    const bucket = decodeURIComponent(m[1]!);
    const key = decodeURIComponent(m[2]!);
    const udir = uploadDir(bucket, uploadId);
    const exists = fs.existsSync(path.join(udir, 'key'));
    if (ctx.method === 'GET') {
      if (!exists) return fail(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist');
      const marker = Number(ctx.query['part-number-marker'] ?? 0);
      const numbers = (await fsp.readdir(udir))
        .filter((n) => /^\d+$/.test(n))
        .map(Number)
        .filter((n) => n > marker)
        .sort((a, b) => a - b);
      const parts: string[] = [];
      for (const n of numbers) {
        const st = await fsp.stat(path.join(udir, String(n)));
        const md5 = await fsp.readFile(path.join(udir, `${n}.md5`), 'utf8').catch(() => '');
        parts.push(
          `<Part><PartNumber>${n}</PartNumber><LastModified>${st.mtime.toISOString()}</LastModified>` +
            `<ETag>"${md5}"</ETag><Size>${st.size}</Size></Part>`,
        );
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body = xml(
        `<ListPartsResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key>` +
          `<UploadId>${esc(uploadId)}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>` +
          `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
      );
      return;
    }
    if (ctx.method === 'DELETE') {
      if (!exists) return fail(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist');
      await fsp.rm(udir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    if (ctx.method === 'PUT' && ctx.headers['x-amz-copy-source']) {
      if (!exists) return fail(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist');
      const source = decodeURIComponent(String(ctx.headers['x-amz-copy-source'])).replace(
        /^\//,
        '',
      );
      const slash = source.indexOf('/');
      const file = objectFile(source.slice(0, slash), source.slice(slash + 1));
      if (!fs.existsSync(file))
        return fail(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
      const range = /^bytes=(\d+)-(\d+)$/.exec(
        String(ctx.headers['x-amz-copy-source-range'] ?? ''),
      );
      const partNumber = String(Number(ctx.query.partNumber));
      const md5 = createHash('md5');
      await pipeline(
        fs.createReadStream(file, range ? { start: Number(range[1]), end: Number(range[2]) } : {}),
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            md5.update(chunk);
            cb(null, chunk);
          },
        }),
        fs.createWriteStream(path.join(udir, partNumber)),
      );
      const etag = md5.digest('hex');
      await fsp.writeFile(path.join(udir, `${partNumber}.md5`), etag);
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body = xml(
        `<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"${etag}"</ETag></CopyPartResult>`,
      );
      return;
    }
    return next();
  };
}

/** Put the extension in front of s3rver's own middleware (before `run()`). */
export function extendS3rver(server: S3rver, dir: string): void {
  (server as unknown as { middleware: unknown[] }).middleware.unshift(multipartExtension(dir));
}
