import sharp from 'sharp';
import type { IconCategory, IconSet } from '../core/media-ports.js';

/**
 * Mime-type icons, drawn here as SVG (no downloaded assets) and rasterised with sharp at the size
 * asked: a page with a folded corner in the family's colour, and a glyph. The SVG is our own, so
 * rendering it is safe; the caller caches the PNGs.
 */
const COLOURS: Record<IconCategory, string> = {
  image: '#2e9d5b',
  video: '#7b4fd6',
  audio: '#e08a1e',
  text: '#5b6b7c',
  archive: '#a8742c',
  pdf: '#d93b30',
  document: '#2f6fdb',
  generic: '#8a8f98',
};

const lines = (ys: number[], x = 20, w = 24) =>
  ys.map((y) => `<rect x="${x}" y="${y}" width="${w}" height="3" rx="1.5"/>`).join('');

/** Glyphs in a 64×64 box, drawn in the family colour over the page. */
const GLYPHS: Record<IconCategory, string> = {
  image: '<circle cx="39" cy="29" r="4"/><path d="M18 50 L27 36 L33 44 L38 38 L46 50 Z"/>',
  video:
    '<rect x="17" y="28" width="30" height="22" rx="3"/><path d="M28 33 V45 L38 39 Z" fill="#fff"/>',
  audio:
    '<path d="M30 26 L44 22 V44 A4.5 4.5 0 1 1 41 39.8 V29 L33 31.3 V48 A4.5 4.5 0 1 1 30 43.8 Z"/>',
  text: lines([26, 32, 38, 44, 50], 20, 24),
  archive:
    '<rect x="29" y="6" width="6" height="4"/><rect x="29" y="14" width="6" height="4"/>' +
    '<rect x="29" y="22" width="6" height="4"/><rect x="26" y="30" width="12" height="14" rx="2"/>' +
    '<rect x="30" y="35" width="4" height="6" fill="#fff"/>',
  pdf:
    '<rect x="14" y="38" width="36" height="14" rx="2"/>' +
    '<rect x="18" y="42" width="5" height="6" fill="#fff"/><rect x="27" y="42" width="5" height="6" fill="#fff"/>' +
    '<rect x="36" y="42" width="9" height="2.5" fill="#fff"/><rect x="36" y="45.5" width="6" height="2.5" fill="#fff"/>' +
    lines([24, 30], 20, 24),
  document: '<rect x="20" y="22" width="16" height="5" rx="1"/>' + lines([31, 37, 43, 49], 20, 24),
  generic: '<circle cx="32" cy="38" r="6" fill-opacity="0.6"/>',
};

export function iconSvg(category: IconCategory, width: number, height: number): string {
  const c = COLOURS[category];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 64 64" preserveAspectRatio="xMidYMid meet">` +
    // the page and its folded corner
    `<path d="M14 3 H41 L52 14 V59 A2 2 0 0 1 50 61 H14 A2 2 0 0 1 12 59 V5 A2 2 0 0 1 14 3 Z" ` +
    `fill="#ffffff" stroke="${c}" stroke-width="2.5" stroke-linejoin="round"/>` +
    `<path d="M41 3 V12 A2 2 0 0 0 43 14 H52 Z" fill="${c}" fill-opacity="0.35" stroke="${c}" ` +
    `stroke-width="2.5" stroke-linejoin="round"/>` +
    `<g fill="${c}">${GLYPHS[category]}</g></svg>`
  );
}

export class SvgIcons implements IconSet {
  async icon(category: IconCategory, width: number, height: number): Promise<Buffer> {
    return sharp(Buffer.from(iconSvg(category, width, height)))
      .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png({ compressionLevel: 9 })
      .toBuffer();
  }
}
