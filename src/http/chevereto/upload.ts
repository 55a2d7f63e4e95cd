import { timingSafeEqual, createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Principal } from '../../core/accounts.js';
import { parseTags, TITLE_MAX, truncate } from '../../core/attributes.js';
import { CoreError } from '../../core/errors.js';
import { parseDurationSeconds } from '../../core/expiry.js';
import type { Core } from '../../core/index.js';
import { detectMediaType, mediaKindOf } from '../../core/media-type.js';
import type { PublishResult } from '../../core/uploads.js';
import { closeAfterResponse } from '../common/early-reject.js';
import { originOf } from '../web/sharex.js';
import { looksLikeUrl } from './base64.js';
import { fail, INTERNAL, sendChvError, toChvError, type Format } from './errors.js';
import { extensionFor, imageObject, titleFromName } from './image.js';
import {
  readChevereto,
  stringSource,
  type BodySource,
  type FilePartHandler,
  type ParsedBody,
  type SourceField,
} from './request.js';
import { UPLOAD_GET_SCHEMA, UPLOAD_SCHEMA } from './schemas.js';
import { logFailure } from '../common/logging.js';
import { logUpload } from '../common/events.js';

/** Chevereto's expiration bounds: 5 minutes to 1 year. */
export const EXPIRATION_MIN_S = 300;
export const EXPIRATION_MAX_S = 31_536_000;
/** A base64 source in a multipart text field is held in memory: bounded. */
const TEXT_FIELD_MAX = 32 * 1024 * 1024;

/** Chevereto accepts these (V4: image/(gif|jpeg|png|bmp|webp|avif), video/(quicktime|mp4|webm)). */
const CHEVERETO_TYPES =
  /^(image\/(gif|pjpeg|jpeg|png|x-png|bmp|x-ms-bmp|x-windows-bmp|webp|avif)|video\/(quicktime|mp4|webm))$/;

type Params = Record<string, string | undefined>;

interface Source {
  body: Readable;
  /** The name the client gave (file part, URL), '' if none. */
  filename: string;
  /** Decide the name once the first bytes are known (base64 has none). */
  head?: () => Promise<Buffer>;
}

/** Which response shape and format the request asked for. */
function formatOf(v: string | undefined): Format {
  return v === 'txt' || v === 'redirect' ? v : 'json';
}

function equalSecrets(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** A user key (our API keys), else the configured guest key (anonymous), else Invalid API key. */
async function resolveKey(core: Core, config: Config, key: string): Promise<Principal | null> {
  try {
    return await core.accounts.authenticate(key);
  } catch (err) {
    if (config.cheveretoGuestKey && equalSecrets(key, config.cheveretoGuestKey)) return null;
    if (err instanceof CoreError && err.code === 'authentication_failed') {
      throw fail('Invalid API key.', 100);
    }
    throw err;
  }
}

interface Options {
  title: string | null;
  description: string | null;
  tags: string[];
  albumId: string | null;
  categoryId: string | null;
  width: number | null;
  expiresInMs: number | null;
  nsfw: boolean;
}

/** The upload options (spec 2.2); falsy values count as absent, as upstream's array_filter. */
function optionsOf(p: Params, uploader: Principal | null): Options {
  const given = (k: string) => {
    const v = p[k];
    return v && v !== '0' ? v : null;
  };
  let expiresInMs: number | null = null;
  const expiration = given('expiration');
  if (expiration) {
    const s = parseDurationSeconds(expiration);
    if (s === null) {
      throw fail(
        'Invalid expiration: give seconds or an ISO 8601 duration such as PT5M, P1D or P1Y',
        120,
      );
    }
    expiresInMs = Math.min(EXPIRATION_MAX_S, Math.max(EXPIRATION_MIN_S, s)) * 1000;
  }
  const width = given('width');
  const w = width && /^\d{1,5}$/.test(width.trim()) ? Number(width.trim()) : null;
  const title = given('title') ?? given('name');
  return {
    title: title ? truncate(title, TITLE_MAX) : null,
    description: given('description'),
    // Upstream: tags only for uploads made with a user's key.
    tags: uploader ? parseTags(given('tags') ?? '') : [],
    albumId: given('album_id'),
    categoryId: given('category_id'),
    width: w && w > 0 ? w : null,
    expiresInMs,
    nsfw: given('nsfw') === '1',
  };
}

/** A file name that passes the core's checks: the client's base name, else `image.<ext>`. */
function fileNameFor(filename: string, mimeType: string): string {
  // eslint-disable-next-line no-control-regex
  let name = (filename.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f"]/g, '').trim();
  if ([...name].length > 200) name = [...name].slice(-200).join('');
  // Only images and videos get an extension added (Chevereto's own types); any other file
  // (STOWAGE_CHEVERETO_ANY_FILE) keeps the name it came with.
  const kind = mediaKindOf(mimeType);
  const ext = kind === 'image' || kind === 'video' ? extensionFor(mimeType) : '';
  if (!name) return ext ? `image.${ext}` : 'image';
  if (ext && !/\.[A-Za-z0-9]{1,10}$/.test(name)) return `${name}.${ext}`;
  return name;
}

async function publish(
  core: Core,
  config: Config,
  params: Params,
  uploader: Principal | null,
  src: Source,
  /** The client's address (kept with the file for admins). */
  ip: string,
): Promise<{ result: PublishResult; originalFilename: string }> {
  const opts = optionsOf(params, uploader);
  let name: string;
  if (src.head) {
    const mime = await detectMediaType('source', await src.head());
    name = fileNameFor(src.filename, mime);
  } else {
    name = fileNameFor(src.filename, '');
  }
  const result = await core.uploads.upload({
    body: src.body,
    name,
    uploader,
    anonymous: uploader === null,
    rejectEmpty: true,
    withDeleteKey: true,
    uploaderIp: ip,
    accept: config.cheveretoAnyFile
      ? undefined
      : (mime) => {
          if (!CHEVERETO_TYPES.test(mime.split(';')[0]!.trim().toLowerCase())) {
            throw fail('Invalid mimetype', 612);
          }
        },
    attributes: {
      title: opts.title ?? titleFromName(src.filename || name),
      description: opts.description,
      tags: opts.tags,
      categoryId: opts.categoryId,
      nsfw: opts.nsfw,
    },
    expiresInMs: opts.expiresInMs,
    listId: opts.albumId,
    resizeWidth: opts.width,
  });
  core.telemetry.event('upload', { dialect: 'chevereto' });
  return { result, originalFilename: src.filename || name };
}

/** Where Chevereto's spools go: the data dir's `tmp` (not the system's, shared with others). */
export function spoolDirOf(config: Config): string {
  return path.join(config.dataDir, 'tmp');
}

/** GET|POST /api/{version}/{action}: Chevereto's API v1 (only version 1, action upload). */
export function registerUpload(app: FastifyInstance, core: Core, config: Config): void {
  const limits = {
    maxFileBytes: config.maxFileSize,
    // Base64 is 4/3 of the bytes; percent-escapes of + / = and the other fields add a little.
    maxBodyBytes: Math.ceil((config.maxFileSize * 4) / 3) * 1.1 + 1024 * 1024,
    maxTextField: Math.min(TEXT_FIELD_MAX, Math.ceil((config.maxFileSize * 4) / 3) + 1024),
    spoolDir: spoolDirOf(config),
  };

  const handler = async (
    req: FastifyRequest<{ Params: { version: string; action: string }; Querystring: Params }>,
    reply: FastifyReply,
  ) => {
    const { version, action } = req.params;
    const query: Params = { ...req.query };
    const headerKey = [req.headers['x-api-key']].flat()[0] || undefined;
    let format = formatOf(query.format);
    let source: BodySource | null = null;
    let auth: Promise<Principal | null> | null = null;
    const authenticate = (key: string) => (auth ??= resolveKey(core, config, key));
    let direct: Promise<{ result: PublishResult }> | null = null;
    try {
      // A file part whose key is already known goes straight into the core (nothing buffered).
      const onFile: FilePartHandler = (_field, stream, filename, fieldsSoFar) => {
        const params = { ...query, ...fieldsSoFar };
        const key = headerKey ?? params.key;
        if (version !== '1' || action !== 'upload' || !key) {
          if (version !== '1' || action !== 'upload') {
            stream.resume();
            return Promise.resolve(null);
          }
          return null;
        }
        direct = authenticate(key).then(async (uploader) => {
          if (uploader === null && !config.allowAnonymousUploads) throw fail('Request denied', 401);
          await core.files.checkUploadQuota(uploader, null, { ip: req.ip });
          return publish(core, config, params, uploader, { body: stream, filename }, req.ip);
        });
        return direct;
      };
      let body: ParsedBody;
      try {
        body =
          req.method === 'POST'
            ? await readChevereto(req.raw, reply.raw, limits, onFile)
            : { fields: {}, source: null, imageFilePart: false };
      } catch (err) {
        // The body failed after its file part was published: the upload did not happen.
        const done = await (direct as Promise<{ result: PublishResult }> | null)?.catch(() => null);
        if (done) await core.files.remove(done.result.file).catch(() => {});
        throw err;
      }
      source = body.source;
      const params: Params = { ...query, ...body.fields };
      format = formatOf(params.format);
      const imgbb = params.image !== undefined || body.imageFilePart;

      // Chevereto's order of checks (spec 2.3).
      const key = headerKey ?? params.key;
      if (!key) throw fail('No key provided', 100);
      if (version !== '1') throw fail('Invalid API version.', 110);
      const uploader = await authenticate(key);
      if (uploader === null && !config.allowAnonymousUploads) throw fail('Request denied', 401);
      if (action !== 'upload') throw fail('Invalid API action', 120);
      if (!source) {
        const field: SourceField | null = query.source ? 'source' : query.image ? 'image' : null;
        if (field) {
          const value = query[field]!;
          if (req.method !== 'POST' && !looksLikeUrl(value)) {
            throw fail('Upload using base64 source must be done using POST method.', 130);
          }
          source = await stringSource(field, value, config.maxFileSize, limits.spoolDir);
        }
      }
      if (!source) throw fail('Empty upload source', 130);
      if (source.kind === 'invalid') throw source.error ?? fail('Invalid file source', 620);
      if (source.kind === 'url') core.urlUploads.checkEnabled();
      // The quotas before a URL is fetched (a direct upload checked them itself).
      if (source.kind !== 'direct')
        await core.files.checkUploadQuota(uploader, null, { ip: req.ip });
      // Options are checked before any byte is stored (a direct upload checked them itself).
      if (source.kind !== 'direct') optionsOf(params, uploader);

      let published: { result: PublishResult; originalFilename: string };
      if (source.kind === 'direct') {
        published = (await source.done) as typeof published;
      } else if (source.kind === 'spool') {
        const spool = source.spool;
        published = await publish(
          core,
          config,
          params,
          uploader,
          { body: spool.open(), filename: source.filename ?? '', head: () => spool.head() },
          req.ip,
        );
      } else {
        published = await fromUrl(core, config, params, uploader, source.url, req.ip);
      }
      // Spools are gone before the answer (a client that reads it finds nothing left behind).
      if (source?.kind === 'spool') await source.spool.dispose();
      logUpload(req.log, 'chevereto', published.result.file);
      return await respond(core, config, req, reply, published, format, imgbb);
    } catch (err) {
      if (source?.kind === 'spool') await source.spool.dispose();
      const e = toChvError(err, config.maxFileSize);
      if (e === INTERNAL) logFailure(req, reply, err, 'chevereto upload failed');
      closeAfterResponse(req.raw, reply.raw);
      return sendChvError(reply, e, format);
    } finally {
      if (source?.kind === 'spool') await source.spool.dispose();
    }
  };

  for (const url of ['/api/:version(^[0-9]+)/:action', '/api/:version(^[0-9]+)/:action/']) {
    app.post(url, { schema: UPLOAD_SCHEMA }, handler);
    app.get(url, { schema: UPLOAD_GET_SCHEMA }, handler);
  }
}

async function fromUrl(
  core: Core,
  config: Config,
  params: Params,
  uploader: Principal | null,
  url: string,
  ip: string,
): Promise<{ result: PublishResult; originalFilename: string }> {
  optionsOf(params, uploader);
  return core.urlUploads.upload(
    url,
    (remote) => {
      const type = remote.type.split(';')[0]!.trim().toLowerCase();
      return publish(
        core,
        config,
        params,
        uploader,
        { body: remote.body, filename: fileNameFor(remote.name, type) },
        ip,
      );
    },
    // The quotas again, now that the size may be known (before a byte of the body is read).
    { admit: (size) => core.files.checkUploadQuota(uploader, size, { ip }) },
  );
}

async function respond(
  core: Core,
  config: Config,
  req: FastifyRequest,
  reply: FastifyReply,
  { result, originalFilename }: { result: PublishResult; originalFilename: string },
  format: Format,
  imgbb: boolean,
): Promise<FastifyReply> {
  const origin = originOf(req, config);
  const image = await imageObject(core, {
    origin,
    file: result.file,
    attributes: result.attributes,
    originalFilename,
    deleteKey: result.deleteKey,
  });
  reply.header('Cache-Control', 'no-cache, must-revalidate').header('Pragma', 'no-cache');
  if (format === 'txt') {
    return reply
      .code(200)
      .type('text/plain; charset=utf-8')
      .send(image.url as string);
  }
  if (format === 'redirect') {
    return reply
      .code(302)
      .header('Location', image.url_viewer as string)
      .send('');
  }
  // An object in both shapes, the imgBB-shaped one too: Chevereto itself answers
  // `{"message":"file uploaded","code":200}` there (spec 2.6), and we are byte-compatible with
  // the Chevereto we emulate, not with the imgBB API (whose `success` is `true`; issue 19 asked
  // for that, but no client aimed at Chevereto expects it).
  const success = { message: 'file uploaded', code: 200 };
  const body = imgbb
    ? {
        status_code: 200,
        status: 200,
        success,
        data: { ...image, id: result.file.id },
        status_txt: 'OK',
      }
    : { status_code: 200, success, image, status_txt: 'OK' };
  return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
