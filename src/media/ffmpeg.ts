import type { AvFacts, MediaInput, MediaLimits } from '../core/media-ports.js';
import { withLocalFile } from './input.js';
import { runProgram } from './process.js';

/** Frames are scaled down to fit this box (a still for thumbnails, not an archive copy). */
const FRAME_MAX_SIDE = 3840;
const FRAME_MAX_BYTES = 64 * 1024 * 1024;
const PROBE_MAX_BYTES = 4 * 1024 * 1024;

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number }>;
  disposition?: { attached_pic?: number };
}

/** Duration and size of audio and video, with ffprobe; time-limited, killed on expiry. */
export async function ffprobeFacts(
  ffprobe: string,
  input: MediaInput,
  limits: MediaLimits,
): Promise<AvFacts> {
  const { stdout } = await withLocalFile(input, (file) =>
    runProgram(
      ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i', file],
      { timeoutMs: limits.timeoutMs, signal: limits.signal, maxOutput: PROBE_MAX_BYTES },
    ),
  );
  const json = JSON.parse(stdout.toString('utf8')) as {
    streams?: ProbeStream[];
    format?: { duration?: string };
  };
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) throw new Error('no audio or video stream');
  const seconds = Number(json.format?.duration ?? video?.duration ?? audio?.duration);
  let width = video?.width ?? null;
  let height = video?.height ?? null;
  const rotation = Number(
    video?.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ??
      video?.tags?.rotate ??
      0,
  );
  if (Math.abs(rotation) % 180 === 90) [width, height] = [height, width];
  return {
    durationMs: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null,
    width,
    height,
  };
}

/**
 * One frame as PNG at about `atMs` (the first frame when the video is shorter), scaled to fit
 * FRAME_MAX_SIDE; null when there is no video stream. The decoder refuses frames larger than
 * the pixel limit.
 */
export async function ffmpegFrame(
  ffmpeg: string,
  input: MediaInput,
  atMs: number,
  limits: MediaLimits,
): Promise<Buffer | null> {
  return withLocalFile(input, async (file) => {
    const grab = async (at: number): Promise<Buffer | null> => {
      try {
        const { stdout } = await runProgram(
          ffmpeg,
          [
            '-nostdin',
            '-hide_banner',
            '-loglevel',
            'error',
            '-max_pixels',
            String(Math.min(limits.maxPixels, 2 ** 31 - 1)),
            '-ss',
            (at / 1000).toFixed(3),
            '-i',
            file,
            '-map',
            '0:v:0',
            '-frames:v',
            '1',
            '-an',
            '-sn',
            '-dn',
            '-vf',
            `scale=w='min(iw,${FRAME_MAX_SIDE})':h='min(ih,${FRAME_MAX_SIDE})':force_original_aspect_ratio=decrease`,
            '-f',
            'image2pipe',
            '-c:v',
            'png',
            'pipe:1',
          ],
          { timeoutMs: limits.timeoutMs, signal: limits.signal, maxOutput: FRAME_MAX_BYTES },
        );
        return stdout.length > 0 ? stdout : null;
      } catch (err) {
        if (/matches no streams/.test((err as Error).message)) return null;
        throw err;
      }
    };
    return (await grab(atMs)) ?? (atMs > 0 ? await grab(0) : null);
  });
}
