/**
 * Just enough EXIF to find when a photo was taken: DateTimeOriginal (else DateTimeDigitized, else
 * IFD0 DateTime), with its OffsetTime* when present (else the time is taken as UTC). Input is the
 * raw EXIF block as decoders hand it out ("Exif\0\0" + a TIFF structure). Returns epoch ms or null;
 * never throws on malformed data.
 */
export function exifTakenAt(exif: Buffer | undefined): number | null {
  if (!exif || exif.length < 8) return null;
  try {
    const base = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
    const tiff = exif.subarray(base);
    const order = tiff.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') return null;
    const le = order === 'II';
    const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
    const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
    if (u16(2) !== 42) return null;

    const readIfd = (offset: number): Map<number, string | number> => {
      const tags = new Map<number, string | number>();
      if (offset < 8 || offset + 2 > tiff.length) return tags;
      const n = Math.min(u16(offset), 512);
      for (let i = 0; i < n; i++) {
        const e = offset + 2 + i * 12;
        if (e + 12 > tiff.length) break;
        const tag = u16(e);
        const type = u16(e + 2);
        const count = u32(e + 4);
        if (type === 2) {
          // ASCII: inline when it fits in 4 bytes, else at an offset from the TIFF header.
          const at = count <= 4 ? e + 8 : u32(e + 8);
          if (count > 0 && count < 256 && at + count <= tiff.length) {
            tags.set(tag, tiff.toString('latin1', at, at + count).replace(/\0+$/, ''));
          }
        } else if (type === 4 || type === 13) {
          tags.set(tag, u32(e + 8));
        }
      }
      return tags;
    };

    const ifd0 = readIfd(u32(4));
    const exifPointer = ifd0.get(0x8769);
    const exifIfd = typeof exifPointer === 'number' ? readIfd(exifPointer) : new Map();
    const candidates: Array<[unknown, unknown]> = [
      [exifIfd.get(0x9003), exifIfd.get(0x9011)], // DateTimeOriginal, OffsetTimeOriginal
      [exifIfd.get(0x9004), exifIfd.get(0x9012)], // DateTimeDigitized, OffsetTimeDigitized
      [ifd0.get(0x0132), exifIfd.get(0x9010)], // DateTime, OffsetTime
    ];
    for (const [date, offset] of candidates) {
      const t = parseExifDate(date, offset);
      if (t !== null) return t;
    }
    return null;
  } catch {
    return null;
  }
}

/** "YYYY:MM:DD HH:MM:SS" (+ "+HH:MM") -> epoch ms, or null. */
export function parseExifDate(date: unknown, offset?: unknown): number | null {
  if (typeof date !== 'string') return null;
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(date.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (y < 1800 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  let t = Date.UTC(y, mo - 1, d, h, mi, s);
  const o = typeof offset === 'string' ? /^([+-])(\d{2}):(\d{2})$/.exec(offset.trim()) : null;
  if (o) t -= (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) * 60_000;
  return t;
}
