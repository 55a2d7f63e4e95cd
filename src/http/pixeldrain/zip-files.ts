import { countDownload } from '../common/count-download.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { FileRecord } from '../../core/records.js';
import type { Admission } from '../../core/traffic/index.js';
import { sendZip } from '../common/zip.js';
import { logFailure } from '../common/logging.js';

/** Stream these files as one zip archive (list zips, multi-id downloads). */
export async function replyWithZip(
  core: Core,
  req: FastifyRequest,
  reply: FastifyReply,
  archiveName: string,
  files: readonly FileRecord[],
  /** What the download rules decided per file (paid bandwidth for exempt downloaders). */
  admissions?: ReadonlyMap<string, Admission>,
): Promise<void> {
  reply.hijack();
  try {
    await sendZip(
      req.raw,
      reply.raw,
      archiveName,
      files.map((f) => ({
        name: f.name,
        size: f.size,
        mtime: new Date(f.createdAt),
        open: async () => {
          const stream = await core.files.openStream(f);
          let sent = 0;
          stream.on('data', (c: Buffer) => (sent += c.length));
          const exempt = admissions?.get(f.id)?.exempt ?? false;
          stream.on('end', () => countDownload(core, f, sent, req.ip, { exempt, governed: true }));
          return stream;
        },
      })),
    );
  } catch (err) {
    logFailure(req, reply, err, 'zip download failed');
    reply.raw.destroy();
  }
}
