import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../core/errors.js';
import { MAX_IDS_PER_REQUEST } from '../../core/files.js';
import type { FileRecord } from '../../core/records.js';
import { fileInfo, listInfo } from '../pixeldrain/file-info.js';
import { originOf } from './sharex.js';
import { isWget, type Pages } from './pages.js';
import type { ViewerData } from './page-types.js';
import { FILE_VIEWER, LIST_VIEWER } from './schemas.js';
import { viewerAvailability } from './viewer-availability.js';

type Meta = Array<readonly [string, string, string]>;

/**
 * /u/{id}[,{id}…] and /l/{id}: pixeldrain's viewer pages (spec 7.2, 7.3), rendered on the server
 * with the FileInfo or ListInfo embedded, so the page is complete before any script runs.
 */
export function registerViewer(app: FastifyInstance, pages: Pages): void {
  const { core, config } = pages;

  app.get(
    '/u/:ids',
    { schema: FILE_VIEWER },
    async (req: FastifyRequest<{ Params: { ids: string } }>, reply: FastifyReply) => {
      const ids = req.params.ids
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (isWget(req))
        return reply.redirect(`/api/file/${ids.map(encodeURIComponent).join(',')}`, 303);
      let files: FileRecord[];
      try {
        files =
          ids.length === 1
            ? [await core.files.get(ids[0]!)]
            : await core.files.findAll(ids, MAX_IDS_PER_REQUEST);
      } catch (err) {
        if (err instanceof CoreError && (err.code === 'not_found' || err.code === 'too_many_ids'))
          files = [];
        else throw err;
      }
      if (files.length === 0) return notFound(req, reply, pages, 'file');
      const first = files[0]!;
      // One file: its owner's sharing settings (spec 7.2). skip_file_viewer sends the visitor to
      // the file itself, whose endpoint applies the download rules as for any link.
      const sharing = ids.length === 1 ? await core.userSettings.ofOwner(first.ownerId) : null;
      if (sharing?.skipFileViewer)
        return reply.redirect(`/api/file/${encodeURIComponent(first.id)}`, 303);
      const visitor = await pages.visitor(req);
      const common = await pages.common(req, visitor);
      const origin = originOf(req, config);
      let viewerData: ViewerData;
      let title: string;
      if (ids.length === 1) {
        const info = fileInfo(
          first,
          core.files.canEdit(first, visitor),
          undefined,
          core.limits.inactivity.deleteAfter(first),
        );
        await withAvailability(pages, req, visitor?.userId ?? null, [[first, info]]);
        viewerData = viewerDataOf('file', info, req);
        title = first.name;
        // No view here: the viewer's script counts it over the file_stats websocket (bots,
        // link previews and curl fetching this page count nothing).
      } else {
        const list = { id: '', title: 'Multiple files', createdAt: Date.now() };
        const entries = files.map((file) => ({ file, description: '' }));
        const info = listInfo(core, { list, entries, canEdit: false }, visitor);
        await withAvailability(pages, req, visitor?.userId ?? null, pairFiles(files, info));
        viewerData = viewerDataOf('list', info, req);
        title = `${files.length} files`;
      }
      return pages.send(
        reply,
        'viewer',
        { ...common, viewer_data: viewerData, origin, embedDomains: sharing?.embedDomains ?? [] },
        {
          title: `${title} ~ ${config.siteName}`,
          frameAncestors: sharing?.embedDomains ?? [],
          meta: openGraph(first, title, `${origin}/u/${req.params.ids}`, origin, config.siteName),
          globals: viewerGlobals(viewerData, common.user !== null),
          headers: { 'X-Robots-Tag': 'noindex, nofollow' },
          // pixeldrain renders the page of a blocked file with 451 (spec 7.2).
          ...(files.some((f) => f.abuseType) ? { status: 451 } : {}),
        },
      );
    },
  );

  app.get(
    '/l/:id',
    { schema: LIST_VIEWER },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const { id } = req.params;
      if (isWget(req)) return reply.redirect(`/api/list/${encodeURIComponent(id)}/zip`, 303);
      const visitor = await pages.visitor(req);
      const common = await pages.common(req, visitor);
      const origin = originOf(req, config);
      let view;
      try {
        view = await core.lists.get(id, visitor);
      } catch (err) {
        if (err instanceof CoreError && err.code === 'not_found')
          return notFound(req, reply, pages, 'list');
        throw err;
      }
      // pixeldrain answers 404 for an empty list; its owner still gets the page, to add files.
      if (view.entries.length === 0 && !view.canEdit) return notFound(req, reply, pages, 'list');
      const info = listInfo(core, view, visitor);
      const listed = view.entries.map((e) => e.file);
      await withAvailability(pages, req, visitor?.userId ?? null, pairFiles(listed, info));
      const viewerData = viewerDataOf('list', info, req);
      const first = view.entries[0]?.file;
      // The list's owner decides which sites may frame it.
      const { embedDomains } = await core.userSettings.ofOwner(view.list.ownerId);
      return pages.send(
        reply,
        'viewer',
        { ...common, viewer_data: viewerData, origin, embedDomains },
        {
          frameAncestors: embedDomains,
          title: `${view.list.title} ~ ${config.siteName}`,
          meta: first
            ? openGraph(first, view.list.title, `${origin}/l/${id}`, origin, config.siteName)
            : [],
          globals: viewerGlobals(viewerData, common.user !== null),
          headers: { 'X-Robots-Tag': 'noindex, nofollow' },
        },
      );
    },
  );
}

/** The files' availability for this visitor (the rules), into their rendered FileInfo. */
async function withAvailability(
  pages: Pages,
  req: FastifyRequest,
  userId: string | null,
  pairs: Array<[FileRecord, Record<string, unknown>]>,
): Promise<void> {
  await Promise.all(
    pairs.map(async ([file, info]) => {
      const a = await viewerAvailability(pages.core, file, { client: req.ip, userId });
      info.availability = a.availability;
      info.availability_message = a.availability_message;
      // A blocked file: the viewer shows why (abuse_type is in the FileInfo already).
      if (file.abuseType) info.block_reason = file.blockReason ?? '';
    }),
  );
}

/** A list's files beside their FileInfo in the rendered ListInfo (same order). */
function pairFiles(
  files: readonly FileRecord[],
  info: Record<string, unknown>,
): Array<[FileRecord, Record<string, unknown>]> {
  const rendered = (info.files as Array<Record<string, unknown>> | undefined) ?? [];
  return files.flatMap((f, i) =>
    rendered[i] ? [[f, rendered[i]] as [FileRecord, Record<string, unknown>]] : [],
  );
}

function viewerDataOf(
  type: 'file' | 'list',
  apiResponse: Record<string, unknown>,
  req: FastifyRequest,
): ViewerData {
  const query = req.query as Record<string, unknown>;
  return {
    type,
    api_response: apiResponse,
    captcha_key: 'none',
    embedded: query.embed !== undefined,
    user_ads_enabled: false,
    theme_uri: '',
  };
}

/** The first script's assignments, in pixeldrain's order (download tools parse viewer_data). */
function viewerGlobals(viewerData: ViewerData, authenticated: boolean) {
  return [
    ['api_endpoint', '/api'],
    ['viewer_data', viewerData],
    ['user_authenticated', authenticated],
  ] as const;
}

function notFound(req: FastifyRequest, reply: FastifyReply, pages: Pages, what: 'file' | 'list') {
  return pages.sendError(
    req,
    reply,
    404,
    what === 'file' ? 'File not found' : 'List not found',
    what === 'file'
      ? 'This file does not exist, or it was deleted or has expired.'
      : 'This list does not exist, or it was deleted.',
  );
}

/** OpenGraph and Twitter card tags (spec 7.2): the file itself for images, video and audio. */
function openGraph(
  file: FileRecord,
  title: string,
  url: string,
  origin: string,
  site: string,
): Meta {
  const raw = `${origin}/api/file/${file.id}`;
  const thumb = `${raw}/thumbnail`;
  const meta: Meta = [
    ['property', 'og:type', 'website'],
    ['property', 'og:title', title],
    ['property', 'og:site_name', site],
    ['property', 'og:description', `This file has been shared with you on ${site}`],
    ['property', 'og:url', url],
    ['name', 'twitter:title', title],
    ['name', 'twitter:site', site],
  ];
  const mime = file.mimeType.split(';')[0]!.trim();
  if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
    meta.push(['property', 'og:image', raw], ['property', 'og:image:type', mime]);
    meta.push(['name', 'twitter:card', 'summary_large_image'], ['name', 'twitter:image', raw]);
  } else if (mime.startsWith('video/')) {
    meta.push(['property', 'og:video', raw], ['property', 'og:video:type', mime]);
    meta.push(['property', 'og:image', thumb]);
    meta.push(['name', 'twitter:card', 'player'], ['name', 'twitter:player', raw]);
    meta.push(['name', 'twitter:image', thumb]);
  } else if (mime.startsWith('audio/')) {
    meta.push(['property', 'og:audio', raw], ['property', 'og:audio:type', mime]);
    meta.push(['property', 'og:image', thumb], ['name', 'twitter:card', 'summary']);
  } else {
    meta.push(['property', 'og:image', thumb], ['name', 'twitter:card', 'summary']);
    meta.push(['name', 'twitter:image', thumb]);
  }
  return meta;
}
