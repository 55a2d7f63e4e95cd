import { encodeExtended } from 'content-disposition';

/**
 * RFC 6266 Content-Disposition: `filename="…"` alone for a name plain ASCII carries as is, else
 * an ASCII fallback `filename` and an RFC 5987 `filename*` (the `content-disposition` library's
 * encoder) with the exact name. `filename` is always a quoted string, as FileBin sends it (the
 * library's own builder, since 2.0, leaves a token-like name unquoted). Names are untrusted:
 * quotes, backslashes, control characters and non-ASCII never appear raw in the header (the
 * fallback: accents dropped, the rest `_`). A `/` or `\` becomes `_`: stored names have neither,
 * and no other name should hand a client a path. A name with what looks like percent-encoding
 * (`%41`) gets `filename*` too: a client decoding `filename` would read another name.
 */
export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const whole = name.replace(/[/\\]/g, '_');
  const fallback = asciiFallback(whole);
  const header = `${type}; filename="${fallback}"`;
  if (fallback === whole && !/%[0-9A-Fa-f]{2}/.test(whole)) return header;
  return `${header}; filename*=${encodeExtended(whole)}`;
}

function asciiFallback(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
}
