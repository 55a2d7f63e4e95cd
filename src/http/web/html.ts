import { randomBytes } from 'node:crypto';
import { isEmbedDomain } from '../../core/user-settings.js';

/** Text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside an inline <script> and stays on one line: `<`, `>`, `&`, U+2028/2029
 * and `;` are \u-escaped (still valid JSON), so no value can close the script, and scrapers that
 * match `window.viewer_data = ({.*?});` stop at the real end of the object.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&;\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The pages' policy: scripts only from us (plus the one inline script carrying the page's data,
 * by nonce), no inline styles, no plugins, no framing by other sites but `frameAncestors` (the
 * viewer of a file whose owner allows embedding: host names, each checked again here so nothing
 * else can reach the header). User files shown in the pages are loaded from /api/file/… (images,
 * media, PDF frames), never inlined.
 */
export function contentSecurityPolicy(
  nonce: string,
  frameAncestors: readonly string[] = [],
): string {
  const ancestors = ["'self'", ...frameAncestors.filter(isEmbedDomain)];
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    // PDF.js's worker, our own /res/ file (no blob: workers, no eval anywhere).
    "worker-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors.join(' ')}`,
  ].join('; ');
}

export interface Document {
  lang?: string;
  title: string;
  /** `<meta>` tags: [attribute, key, content], e.g. ['property', 'og:title', name]. */
  meta: ReadonlyArray<readonly [string, string, string]>;
  /** Assignments of the first (inline) script, in order: `window.{name} = {json};`. */
  globals: ReadonlyArray<readonly [string, unknown]>;
  theme: string;
  nonce: string;
  /** Rendered by the page component. */
  head: string;
  body: string;
  css: readonly string[];
  js: readonly string[];
  preload: readonly string[];
}

export function renderDocument(d: Document): string {
  const meta = d.meta
    .map(
      ([attr, key, content]) =>
        `<meta ${attr}="${escapeHtml(key)}" content="${escapeHtml(content)}">`,
    )
    .join('');
  const globals = d.globals
    .map(([name, value]) => `window.${name} = ${scriptJson(value)};`)
    .join('\n');
  const css = d.css.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('');
  const preload = d.preload
    .map((href) => `<link rel="modulepreload" href="${escapeHtml(href)}">`)
    .join('');
  const js = d.js.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('');
  return (
    `<!doctype html>\n<html lang="${d.lang ?? 'en'}" data-theme="${escapeHtml(d.theme)}"><head>` +
    `<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<script nonce="${d.nonce}">\n${globals}\n</script>` +
    `<title>${escapeHtml(d.title)}</title>${meta}` +
    `<link rel="icon" href="data:,">${css}${preload}${d.head}${js}` +
    `</head><body><div id="app">${d.body}</div></body></html>`
  );
}
