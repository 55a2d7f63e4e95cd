import type { MediaInput, MediaLimits } from '../core/media-ports.js';
import { withLocalFile } from './input.js';
import { runProgram } from './process.js';

const PAGE_MAX_BYTES = 32 * 1024 * 1024;

/** The first page of a PDF as PNG, its longer side `maxSide` pixels (poppler's pdftoppm). */
export async function pdfFirstPage(
  pdftoppm: string,
  input: MediaInput,
  maxSide: number,
  limits: MediaLimits,
): Promise<Buffer> {
  const { stdout } = await withLocalFile(input, (file) =>
    runProgram(
      pdftoppm,
      ['-f', '1', '-l', '1', '-singlefile', '-png', '-scale-to', String(maxSide), '-q', file],
      { timeoutMs: limits.timeoutMs, signal: limits.signal, maxOutput: PAGE_MAX_BYTES },
    ),
  );
  if (stdout.length === 0) throw new Error('pdftoppm produced no image');
  return stdout;
}
