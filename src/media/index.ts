import type { MediaCapabilities, MediaToolkit } from '../core/media-ports.js';
import { findProgram, runProgram } from './process.js';

/**
 * The default media toolkit: sharp for images and icons (loaded here, on first need: it adds
 * ~20 MiB to a process), and the external programs found on PATH: ffprobe (audio/video
 * metadata), ffmpeg (video frames), pdftoppm (PDF pages). A missing program only turns its
 * feature off.
 */
let shared: Promise<MediaToolkit> | null = null;

/** The default toolkit, loaded once per process (servers built in tests share it). */
export function defaultMediaToolkit(): Promise<MediaToolkit> {
  if (!shared) {
    shared = loadMediaToolkit();
    shared.catch(() => (shared = null));
  }
  return shared;
}

export async function loadMediaToolkit(
  opts: { envPath?: string; disable?: string[] } = {},
): Promise<MediaToolkit> {
  const [{ SharpRenderer }, { SvgIcons }, { ffprobeFacts, ffmpegFrame }, { pdfFirstPage }] =
    await Promise.all([
      import('./sharp-renderer.js'),
      import('./icons.js'),
      import('./ffmpeg.js'),
      import('./pdftoppm.js'),
    ]);
  const find = (name: string) =>
    opts.disable?.includes(name) ? null : findProgram(name, opts.envPath);
  const image = new SharpRenderer();
  // A program that is there but does not run is as good as missing.
  const [ffmpegVersion, ffprobeVersion, pdftoppmVersion] = await Promise.all([
    versionOf(find('ffmpeg'), ['-version']),
    versionOf(find('ffprobe'), ['-version']),
    versionOf(find('pdftoppm'), ['-v']),
  ]);
  const ffmpeg = ffmpegVersion && find('ffmpeg');
  const ffprobe = ffprobeVersion && find('ffprobe');
  const pdftoppm = pdftoppmVersion && find('pdftoppm');
  const v = SharpRenderer.version;
  const capabilities: MediaCapabilities = {
    images: {
      library: `sharp ${v.sharp}`,
      version: `libvips ${v.libvips}`,
      formats: image.formats,
    },
    ffmpeg: ffmpegVersion,
    ffprobe: ffprobeVersion,
    pdftoppm: pdftoppmVersion,
  };
  return {
    image,
    av: {
      probe: ffprobe ? (input, limits) => ffprobeFacts(ffprobe, input, limits) : null,
      frame: ffmpeg ? (input, at, limits) => ffmpegFrame(ffmpeg, input, at, limits) : null,
    },
    pdf: pdftoppm
      ? { firstPage: (input, side, limits) => pdfFirstPage(pdftoppm, input, side, limits) }
      : null,
    icons: new SvgIcons(),
    capabilities,
  };
}

/** "ffmpeg 5.1.9", "pdftoppm 22.12.0": the program's own first line, shortened; null if it fails. */
async function versionOf(program: string | null, args: string[]): Promise<string | null> {
  if (!program) return null;
  try {
    const { stdout, stderr } = await runProgram(program, args, { timeoutMs: 5000 });
    const line = `${stdout.toString('utf8')}\n${stderr}`.trim().split('\n')[0] ?? '';
    const m = /^(\S+)\s+version\s+(\S+)/.exec(line);
    return m ? `${m[1]} ${m[2]}` : line.slice(0, 80) || 'unknown version';
  } catch {
    return null; // present but not runnable: treat as missing
  }
}
