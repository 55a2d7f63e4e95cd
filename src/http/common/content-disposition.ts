import createDisposition from 'content-disposition';

/**
 * RFC 6266 Content-Disposition, by the `content-disposition` library: `filename="…"` alone for a
 * name plain ASCII carries as is, else an ASCII fallback `filename` and an RFC 5987 `filename*`
 * with the exact name. Names are untrusted: quotes, backslashes, control characters and non-ASCII
 * never appear raw in the header (the fallback is ours: accents dropped, the rest `_`, where the
 * library's own would keep Latin-1 bytes raw). The library keeps only the part after the last `/`
 * or `\` of a name; stored names have neither, and any other name gets `_` for them first, so
 * nothing of it is dropped silently.
 */
export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const whole = name.replace(/[/\\]/g, '_');
  return createDisposition(whole, { type, fallback: asciiFallback(whole) });
}

function asciiFallback(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
}
